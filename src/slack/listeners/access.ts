import type { Identity } from '../../bridge/identity.ts';
import { COULD_NOT_CHECK_WHO } from '../../bridge/messages.ts';
import type { Logger } from '../../logger.ts';
import { refusalModal } from '../blocks/modals.ts';
import type { ModalState } from '../modal-state.ts';
import type { OptionsArgs, Respond, WebClient } from './args.ts';
import { OPTIONS_BUDGET_MS, withinBudget } from './scheduling.ts';
import { notify } from './tell.ts';

// "May this Slack user read / act?" is decided by `Identity` in bridge/; these only carry out its answer in Slack.

type AccessDeps = { identity: Identity; logger: Logger };

/**
 * Whether `user` may read Intercom data here; if not, they are told why (through `respond`, when there is one:
 * an options list has nowhere to say it and reads as empty) and the caller stops.
 */
export async function mayRead(deps: AccessDeps, user: string, respond?: Respond): Promise<boolean> {
  const access = await deps.identity.reader(user).catch((error: unknown) => {
    deps.logger.warn({ err: error }, 'could not check who asked');
    return { refusal: COULD_NOT_CHECK_WHO };
  });
  if ('ok' in access) return true;
  deps.logger.info({ user }, 'refused: may not read Intercom data');
  if (respond) await notify(respond, access.refusal);
  return false;
}

type Modal = Parameters<WebClient['views']['open']>[0]['view'] & { title: { text: string } };

/**
 * Opens a modal at once (a trigger id expires in 3 s); then, if the opener may not act in Intercom, replaces it
 * with the reason, else with what `complete` makes of it (a lookup the modal could not wait for).
 */
export async function openModal<V extends Modal>(
  deps: AccessDeps & { modalState: ModalState },
  client: WebClient,
  open: { triggerId: string; user: string },
  view: V,
  complete?: () => Promise<V>,
): Promise<void> {
  const { identity, logger, modalState } = deps;
  const opened = await client.views.open({ trigger_id: open.triggerId, view: modalState.sealView(view) });
  const [who, completed] = await Promise.all([
    identity.teammate(open.user).catch(() => undefined),
    complete?.().catch((error: unknown) => {
      logger.warn({ err: error }, 'could not complete the modal');
      return undefined;
    }),
  ]);
  const viewId = opened.view?.id;
  if (!viewId) return;
  if (who && 'refusal' in who) {
    await client.views.update({ view_id: viewId, view: refusalModal(view.title.text, who.refusal) });
  } else if (completed) {
    // with the hash, Slack refuses this once a chosen type has redrawn the modal; that redraw made this lookup too
    const hash = opened.view?.hash;
    await client.views
      .update({ view_id: viewId, ...(hash ? { hash } : {}), view: modalState.sealView(completed) })
      .catch((error: unknown) => logger.info({ err: error }, 'the modal changed before it could be completed'));
  }
}

type OptionsAnswer = Parameters<OptionsArgs['ack']>[0];

/**
 * A select menu's options: none for someone who may not read Intercom data; else what `load` finds for the typed
 * query within Slack's budget, rendered (a list Intercom did not give in time renders as empty).
 */
export function optionsList<T>(
  deps: AccessDeps,
  load: (query: string) => Promise<T>,
  render: (query: string, loaded: T | undefined) => OptionsAnswer,
) {
  return async ({ ack, options, body }: OptionsArgs): Promise<void> => {
    if (!(await mayRead(deps, body.user.id))) return ack({ options: [] });
    const query = options.value ?? '';
    await ack(render(query, await withinBudget(load(query), OPTIONS_BUDGET_MS, deps.logger)));
  };
}
