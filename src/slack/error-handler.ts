import { type AckFn, type AnyMiddlewareArgs, type App, type CodedError, type Context, ErrorCode } from '@slack/bolt';
import { SLACK_REQUEST_FAILED } from '../bridge/messages.ts';
import type { SlackPort } from '../bridge/ports.ts';
import type { Logger } from '../logger.ts';

const ACK = 'bridgeAck';

/**
 * Bolt's global error handler. Without it, an error a listener throws before ack() reaches Slack as a bare 500
 * (a warning icon on a button, "trouble connecting" in a modal). Every error is logged here once, naming the
 * request (its kind, action or callback id and user, never its text or tokens). A request not yet answered is
 * answered here: the modal's first field shows the apology (what was typed stays), a command answers it
 * ephemerally, a click is acknowledged and the clicker told ephemerally, options come back empty. An error after
 * the answer is only logged; a failed authorization is left to Bolt (401, so Slack retries events).
 */
export function handleSlackErrors(app: App, options: { slack: SlackPort; logger: Logger; answer: boolean }): void {
  const { slack, logger } = options;
  // the first middleware of every request keeps its ack() where the error handler can reach it
  app.use(async (args) => {
    const { ack } = args as { ack?: AckFn<unknown> };
    if (ack) args.context[ACK] = ack;
    await args.next();
  });
  /** Answers the failed request with its apology; false when it had been answered already (or could not be). */
  const answer = async (ack: AckFn<unknown>, body: AnyMiddlewareArgs['body'], request: object): Promise<boolean> => {
    try {
      await ack(answerFor(body));
      return true;
    } catch (ackError) {
      // answered already (Bolt refuses a second ack) — the usual case: the listener failed after its ack()
      if ((ackError as { code?: string }).code !== ErrorCode.ReceiverMultipleAckError) {
        logger.warn({ err: ackError, ...request }, 'could not answer a failed Slack request');
      }
      return false;
    }
  };
  type ErrorArgs = { error: CodedError; body: AnyMiddlewareArgs['body']; context: Context | undefined };
  app.error(async ({ error, body, context }: ErrorArgs) => {
    const request = describeSlackRequest(body);
    if (error.code === ErrorCode.AuthorizationError) {
      logger.error({ err: error, ...request }, 'Slack request refused: the bot token could not be checked');
      throw error;
    }
    const ack = context?.[ACK] as AckFn<unknown> | undefined;
    const answered = ack !== undefined && options.answer && (await answer(ack, body, request));
    // a command's answer and a modal's field error carry the apology; a click's comes as an ephemeral message;
    // a shortcut, a click inside a modal or a modal with no input has nowhere to show one
    let told = answered && apologyIn(body);
    if (answered && request.kind === 'block_actions' && request.user) {
      // a click on a message is answered in its channel; one on the Home tab (no channel) by a DM
      const user = request.user;
      const tell = request.channel
        ? slack.tellUser({ channel: request.channel, user }, SLACK_REQUEST_FAILED)
        : slack.dm(user, SLACK_REQUEST_FAILED);
      told = await tell.then(
        () => true,
        (e: unknown) => {
          logger.warn({ err: e }, 'could not tell the user their click failed');
          return false;
        },
      );
    }
    logger.error(
      { err: error, ...request, answered, told },
      !answered
        ? 'Slack request failed'
        : told
          ? 'Slack request failed before it was answered: answered with an apology'
          : 'Slack request failed before it was answered: answered, with nowhere to show an apology',
    );
  });
}

type LooseBody = {
  type?: string;
  command?: string;
  callback_id?: string;
  user?: string | { id?: string };
  user_id?: string;
  channel?: { id?: string };
  channel_id?: string;
  actions?: Array<{ action_id?: string }>;
  action_id?: string;
  view?: { callback_id?: string; blocks?: Array<{ type?: string; block_id?: string }> };
  event?: { type?: string; user?: string; channel?: string };
};

/** What identifies a Slack request in a log line: no message text, no response_url, no token. */
function describeSlackRequest(body: AnyMiddlewareArgs['body']) {
  const b = body as LooseBody;
  const kind = b.command ? 'slash_command' : (b.type ?? 'unknown');
  const id =
    b.command ?? b.actions?.[0]?.action_id ?? b.action_id ?? b.view?.callback_id ?? b.callback_id ?? b.event?.type;
  const user = typeof b.user === 'string' ? b.user : (b.user?.id ?? b.user_id ?? b.event?.user);
  const channel = b.channel?.id ?? b.channel_id ?? b.event?.channel;
  return { kind, id, user, channel };
}

/** Whether the answer `answerFor` gives this request shows the person the apology. */
function apologyIn(body: AnyMiddlewareArgs['body']): boolean {
  const answer = answerFor(body) as { text?: string; errors?: unknown } | undefined;
  return answer?.text === SLACK_REQUEST_FAILED || answer?.errors !== undefined;
}

/** The answer a failed request gets, by its kind. */
function answerFor(body: AnyMiddlewareArgs['body']): unknown {
  const b = body as LooseBody;
  if (b.command) return { response_type: 'ephemeral', text: SLACK_REQUEST_FAILED };
  if (b.type === 'block_suggestion') return { options: [] };
  if (b.type === 'view_submission') {
    const field = b.view?.blocks?.find((block) => block.type === 'input' && block.block_id)?.block_id;
    if (field) return { response_action: 'errors', errors: { [field]: SLACK_REQUEST_FAILED } };
  }
  return undefined;
}
