import type { SlackWorkspace } from '../../src/bridge/ports.ts';

/** The workspace a bridge serves in unit tests that build Identity without a Slack to ask. */
export const TEST_WORKSPACE: SlackWorkspace = {
  teamId: 'T1',
  enterpriseId: undefined,
  appId: 'A1',
  enterpriseInstall: false,
  botId: 'B1',
  botUserId: 'UBOT',
};
