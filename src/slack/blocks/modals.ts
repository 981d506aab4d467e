import type { KnownBlock, ModalView, OptionGroup, PlainTextOption } from '@slack/types';
import { z } from 'zod';
import type { Admin, Tag, Team } from '../../intercom/schemas.ts';
import { cut, escapeMrkdwn } from '../mrkdwn.ts';
import {
  context as contextBlock,
  externalSelect,
  input,
  LIMITS,
  type ModalForm,
  modal,
  option,
  plain,
  section,
} from './kit.ts';

/** What every triage modal carries in private_metadata: the conversation, and the card it was opened from. */
export const ModalContext = z.object({ conversationId: z.string().min(1), channel: z.string(), cardTs: z.string() });
export type ModalContext = z.infer<typeof ModalContext>;

export const CALLBACK = {
  reply: 'triage_reply',
  note: 'triage_note',
  assign: 'triage_assign',
  snooze: 'triage_snooze',
  tag: 'triage_tag',
} as const;

/** Block and action ids of the modals' inputs (a block holds one input whose action id is the same). */
export const FIELD = {
  message: 'message',
  assignee: 'assignee',
  when: 'when',
  at: 'at',
  tags: 'tags',
  newTag: 'new_tag',
  files: 'files',
} as const;

/** Files a reply or note takes: Intercom's limit on `attachment_files` (Slack's file input allows 10 too). */
export const MAX_FILES = 10;

/** Slack caps plain_text_input at 3000 characters; long replies belong in Intercom itself. */
export const MAX_MESSAGE = 3000;

/** The card's title, to remind the reader which conversation the modal is about. */
function about(title: string | undefined): KnownBlock[] {
  return title ? [contextBlock(`*${escapeMrkdwn(title)}*`)] : [];
}

/** Reply and note share one modal; it says plainly which one it is, because a reply reaches the customer. */
export function messageModal(kind: 'reply' | 'note', context: ModalContext, title?: string): ModalForm {
  const reply = kind === 'reply';
  return modal(
    CALLBACK[kind],
    context,
    reply ? 'Reply to customer' : 'Internal note',
    reply ? 'Send reply' : 'Add note',
    [
      ...about(title),
      section(
        reply
          ? ':warning: *The customer will see this.* It is sent as a reply from your Intercom teammate account.'
          : ':lock: *Only teammates see this.* It is added as an internal note; the customer is not told.',
      ),
      input(FIELD.message, {
        label: plain(reply ? 'Reply' : 'Note'),
        element: {
          type: 'plain_text_input',
          action_id: FIELD.message,
          multiline: true,
          max_length: MAX_MESSAGE,
          focus_on_load: true,
        },
      }),
      input(FIELD.files, {
        optional: true,
        label: plain('Files'),
        hint: plain(reply ? 'Sent to the customer with the reply.' : 'Attached to the note.'),
        element: { type: 'file_input', action_id: FIELD.files, max_files: MAX_FILES },
      }),
    ],
  );
}

export function assignModal(context: ModalContext, title?: string): ModalForm {
  return modal(CALLBACK.assign, context, 'Assign conversation', 'Assign', [
    ...about(title),
    input(FIELD.assignee, {
      label: plain('Assign to'),
      element: externalSelect(FIELD.assignee, 0, 'Me, a teammate, a team or nobody'),
    }),
  ]);
}

export const SNOOZE_CHOICES = [
  { value: 'hour', text: 'For 1 hour' },
  { value: 'tomorrow', text: 'Until tomorrow at 9:00 (your time)' },
  { value: 'monday', text: 'Until next Monday at 9:00 (your time)' },
  { value: 'custom', text: 'Until the date and time below' },
] as const;

export function snoozeModal(context: ModalContext, title?: string): ModalForm {
  const options = SNOOZE_CHOICES.map((c) => option(c.text, c.value));
  return modal(CALLBACK.snooze, context, 'Snooze conversation', 'Snooze', [
    ...about(title),
    input(FIELD.when, {
      label: plain('Snooze'),
      element: { type: 'radio_buttons', action_id: FIELD.when, options, initial_option: options[0] },
    }),
    input(FIELD.at, {
      optional: true,
      label: plain('Date and time'),
      element: { type: 'datetimepicker', action_id: FIELD.at },
    }),
  ]);
}

export function tagModal(context: ModalContext, title?: string): ModalForm {
  return modal(CALLBACK.tag, context, 'Tag conversation', 'Tag', [...about(title), ...tagInputs()]);
}

/** Existing tags (searched as you type) and a new tag's name: the tag modals of conversations and contacts. */
export function tagInputs(): KnownBlock[] {
  return [
    input(FIELD.tags, {
      optional: true,
      label: plain('Tags'),
      element: {
        type: 'multi_external_select',
        action_id: FIELD.tags,
        min_query_length: 0,
        placeholder: plain('Existing tags'),
      },
    }),
    input(FIELD.newTag, {
      optional: true,
      label: plain('New tag'),
      hint: plain('Created in Intercom if no tag has this name yet.'),
      element: { type: 'plain_text_input', action_id: FIELD.newTag, max_length: 190 },
    }),
  ];
}

/** What a modal turns into when its opener may not act in Intercom: the reason, and no submit button. */
export function refusalModal(title: string, reason: string): ModalView {
  return {
    type: 'modal',
    title: plain(title, LIMITS.modalTitle),
    close: plain('Close'),
    blocks: [section(escapeMrkdwn(reason) || '…')],
  };
}

/** Slack's limit on an options answer: 100 options (their text and value: LIMITS.option and .optionValue). */
const MAX_OPTIONS = 100;

/** An option whose value comes from Intercom, cut to Slack's 150 characters. */
function offered(text: string, value: string): PlainTextOption {
  return option(text, cut(value, LIMITS.optionValue));
}

function matching(query: string) {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return (...texts: Array<string | null | undefined>) => {
    const haystack = texts.filter(Boolean).join(' ').toLowerCase();
    return words.every((w) => haystack.includes(w));
  };
}

/** Options for the assignee select: me and nobody first, then teammates and teams matching what was typed. */
export function assigneeOptions(
  query: string,
  admins: readonly Admin[],
  teams: readonly Team[],
): { option_groups: OptionGroup[] } {
  const match = matching(query);
  const quick = [offered('Me', 'me'), offered('Nobody (unassign)', 'nobody')].filter((o) => match(o.text.text));
  const people = admins
    .filter((a) => match(a.name, a.email))
    .sort(byName)
    .map((a) => offered(a.email ? `${a.name ?? a.email} (${a.email})` : (a.name ?? a.id), `admin:${a.id}`));
  const groups = teams
    .filter((t) => match(t.name))
    .sort(byName)
    .map((t) => offered(t.name ?? `Team ${t.id}`, `team:${t.id}`));
  const option_groups: OptionGroup[] = [
    { label: plain('Quick'), options: quick },
    { label: plain('Teammates'), options: people },
    { label: plain('Teams'), options: groups },
  ];
  let room = MAX_OPTIONS;
  for (const group of option_groups) {
    group.options = group.options.slice(0, room);
    room -= group.options.length;
  }
  return { option_groups: option_groups.filter((g) => g.options.length > 0) };
}

/** Options for the tag select: tags whose name matches what was typed, by name. */
export function tagOptions(query: string, tags: readonly Tag[]): { options: PlainTextOption[] } {
  const match = matching(query);
  return {
    options: tags
      .filter((t) => t.name && match(t.name))
      .sort(byName)
      .slice(0, MAX_OPTIONS)
      .map((t) => offered(t.name ?? t.id, t.id)),
  };
}

function byName(a: { name?: string | null | undefined }, b: { name?: string | null | undefined }): number {
  return (a.name ?? '').localeCompare(b.name ?? '');
}
