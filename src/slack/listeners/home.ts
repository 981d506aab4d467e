import type { App, BlockAction } from '@slack/bolt';
import type { HomePublisher, HomeSectionName } from '../../bridge/home.ts';
import { HOME_ACTIONS, homeButtonState, homeView, parseNotifications } from '../blocks/home.ts';
import type { ModalState } from '../modal-state.ts';
import { escapeMrkdwn } from '../mrkdwn.ts';
import type { WebApiSlackPort } from '../slack-port.ts';
import type { ActionArgs } from './args.ts';
import type { ListenerDeps } from './index.ts';

// The Home tab's requests (docs/home.md): opening it, Take, Show more and the notification checkboxes. Reply,
// Close and Open in Intercom are the card's buttons and go to its listeners (cards.ts). Events need no ack
// (Bolt answers them); each action is acknowledged first, and the work — Intercom, then views.publish — runs after.

export function register(app: App, deps: ListenerDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    // the event fires for the Messages tab too; only the Home tab is ours to draw
    if (event.tab !== 'home' || !deps.home) return;
    const home = deps.home;
    deps.afterAck.run('home', () => home.opened(event.user));
  });
  app.action<BlockAction>(new RegExp(`^${HOME_ACTIONS.take}:`), takeFromHome(deps));
  app.action<BlockAction>(HOME_ACTIONS.more, showMore(deps));
  app.action<BlockAction>(HOME_ACTIONS.notifications, notificationsChanged(deps));
}

/** Renders a screen and publishes it as the person's Home tab; the buttons' values sealed with `modalState`. */
export function homePublisher(slack: Pick<WebApiSlackPort, 'publishHome'>, modalState: ModalState): HomePublisher {
  return (slackUserId, screen) =>
    slack.publishHome(slackUserId, homeView(screen, { seal: (state) => modalState.seal(state) }));
}

/**
 * Take on an unassigned row: the queue's Take (assign to the clicker's teammate, through Triage, which refuses
 * someone with no teammate), then the tab again. The value must be the one the bridge sealed for this id. A Home
 * tab click has no response URL: a refusal or failure is told in a direct message.
 */
export const takeFromHome =
  (deps: ListenerDeps) =>
  async ({ ack, action, body }: ActionArgs): Promise<void> => {
    await ack();
    const actionId = 'action_id' in action ? action.action_id : '';
    const conversationId = actionId.slice(HOME_ACTIONS.take.length + 1);
    const sealed = 'value' in action ? action.value : undefined;
    if (!conversationId || deps.modalState.open(sealed) !== homeButtonState('take', conversationId)) {
      deps.logger.warn({ actionId }, 'a Take button the bridge did not issue: ignored');
      return;
    }
    const user = body.user.id;
    const home = deps.home;
    deps.afterAck.run('assign', async () => {
      const result = await deps.triage.perform(conversationId, user, { kind: 'assign', to: 'me' });
      if (!result.ok) await deps.slack.dm(user, `:warning: ${escapeMrkdwn(result.message)}`);
      await home?.refresh(user);
    });
  };

export const showMore =
  (deps: ListenerDeps) =>
  async ({ ack, action, body }: ActionArgs): Promise<void> => {
    await ack();
    const value = 'value' in action ? action.value : undefined;
    if (value !== 'assigned' && value !== 'unassigned') return;
    const section: HomeSectionName = value;
    const home = deps.home;
    if (home) deps.afterAck.run('home', () => home.showMore(body.user.id, section));
  };

export const notificationsChanged =
  (deps: ListenerDeps) =>
  async ({ ack, action, body }: ActionArgs): Promise<void> => {
    await ack();
    if (action.type !== 'checkboxes') return;
    const choice = parseNotifications(action.selected_options);
    const home = deps.home;
    if (home) deps.afterAck.run('home', () => home.setNotifications(body.user.id, choice));
  };
