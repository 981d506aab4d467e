import type {
  ActionsBlock,
  Button,
  ContextBlock,
  ExternalSelect,
  HeaderBlock,
  InputBlock,
  KnownBlock,
  ModalView,
  MrkdwnElement,
  PlainTextElement,
  PlainTextOption,
  SectionBlock,
} from '@slack/types';
import { stripInvisible, truncate } from '../mrkdwn.ts';

// The Block Kit pieces every builder in blocks/ is made of, typed with @slack/types. Each keeps the keys of what it
// makes in the order the builders always sent them, and applies Slack's limits named below: text that enters here
// (mrkdwn already escaped) comes out within them.

/** Block Kit limits we build against (Slack rejects a message or view that exceeds them). */
export const LIMITS = {
  header: 150,
  /** A mrkdwn text object. */
  section: 3000,
  button: 75,
  blocks: 50,
  contextElements: 10,
  /** An option's text, and its value. */
  option: 75,
  optionValue: 150,
  modalTitle: 24,
  /** An input's label and hint. */
  label: 2000,
} as const;

/** A plain_text object with the text as given; `emoji` is only sent when set. */
export function plainText(text: string, emoji?: boolean): PlainTextElement {
  return emoji === undefined ? { type: 'plain_text', text } : { type: 'plain_text', text, emoji };
}

/**
 * Plain text (labels, options, names from Intercom), first cut to `max` characters when given, then without
 * invisible and direction-changing characters, as mrkdwn is in escapeMrkdwn; a text made only of them shows "…",
 * since Slack refuses an empty one.
 */
export function plain(text: string, max?: number): PlainTextElement {
  return plainText(stripInvisible(max === undefined ? text : truncate(text, max, '…')) || '…', true);
}

/** A mrkdwn object cut to Slack's 3,000 characters. The text is mrkdwn already: escape what is untrusted first. */
export function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text: truncate(text, LIMITS.section) };
}

/** A section of mrkdwn text (see `mrkdwn`), with a block id and an accessory when given. */
export function section(text: string, options: { blockId?: string; accessory?: Button } = {}): SectionBlock {
  return {
    type: 'section',
    ...(options.blockId ? { block_id: options.blockId } : {}),
    text: mrkdwn(text),
    ...(options.accessory ? { accessory: options.accessory } : {}),
  };
}

/** A context line: the first 10 texts, each as mrkdwn (see `mrkdwn`). */
export function context(...texts: string[]): ContextBlock {
  return { type: 'context', elements: texts.slice(0, LIMITS.contextElements).map((text) => mrkdwn(text)) };
}

/** A header: plain text cut to 150 characters, emoji codes shown as written. */
export function header(text: string): HeaderBlock {
  return { type: 'header', text: plainText(truncate(text, LIMITS.header, '…'), false) };
}

/** A row of buttons, with a block id when given. */
export function actions(elements: Button[], blockId?: string): ActionsBlock {
  return { type: 'actions', ...(blockId ? { block_id: blockId } : {}), elements };
}

/** What a button has besides its type, action id and text: value or url, style, confirm. */
export type ButtonFields = Omit<Button, 'type' | 'action_id' | 'text'>;

/**
 * A button. A label given as a string is `plain` text cut to 75 characters; a text object is used as it is.
 * `fields` follow the text in the order given.
 */
export function button(actionId: string, label: string | PlainTextElement, fields: ButtonFields): Button {
  const text = typeof label === 'string' ? plain(label, LIMITS.button) : label;
  return { type: 'button', action_id: actionId, text, ...fields };
}

/** An option of a select, radio buttons or checkboxes: its text `plain`, cut to 75. The value is used as given. */
export function option(text: string, value: string): PlainTextOption {
  return { text: plain(text, LIMITS.option), value };
}

/** An input block; `fields` (label, element, optional, hint…) follow the block id in the order given. */
export function input(blockId: string, fields: Omit<InputBlock, 'type' | 'block_id'>): InputBlock {
  return { type: 'input', block_id: blockId, ...fields };
}

/** A select whose options the app's options listener answers, with an option chosen already when given. */
export function externalSelect(
  actionId: string,
  minQueryLength: number,
  placeholder: string,
  initial?: PlainTextOption,
): ExternalSelect {
  return {
    type: 'external_select',
    action_id: actionId,
    min_query_length: minQueryLength,
    placeholder: plain(placeholder),
    ...(initial ? { initial_option: initial } : {}),
  };
}

/** A modal that is submitted: it always has a callback id, private_metadata, a submit and a close button. */
export type ModalForm = ModalView & Required<Pick<ModalView, 'callback_id' | 'private_metadata' | 'submit' | 'close'>>;

/** The shell of a modal form: `state` travels as JSON in private_metadata, and Cancel closes it. */
export function modal(
  callbackId: string,
  state: object,
  title: string,
  submit: string,
  blocks: KnownBlock[],
): ModalForm {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: JSON.stringify(state),
    title: plain(title),
    submit: plain(submit),
    close: plain('Cancel'),
    blocks,
  };
}
