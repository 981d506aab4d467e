import { expect } from 'vitest';
import { CUT_SUFFIX } from '../../src/slack/mrkdwn.ts';

// A Block Kit checker for what the bridge hands Slack: the block and element types the builders emit, Block Kit's
// limits, and mrkdwn that is inert (no mention, broadcast, channel link or foreign link survives as markup). It
// refuses anything it does not know; test/slack/blocks/hostile-blocks.test.ts shows it can say no.
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The markup a builder may emit itself, matched where a `<` stands: links to http(s) URLs with an optional label
 * (a label never holds `|`, `<` or `>`), and Slack date tokens; user mentions only where told (a share names its
 * sharer). Anything else starting with `<` is a control sequence that came from the input.
 */
const LINK = /<https?:\/\/[^<>|]+(?:\|[^<>|]+)?>/iy;
const DATE = /<!date\^-?\d+\^[^<>|]+\|[^<>|]+>/y;
const MENTION = /<@U[A-Z0-9]+>/y;

/** Reasons `text` is not inert mrkdwn (empty when it is). */
export function mrkdwnProblems(text: string, options: { mentions?: boolean } = {}): string[] {
  const problems: string[] = [];
  let body = text;
  // a cut (truncate) may end inside a link or date token we built: `<https://x.example/lo… (open in Intercom)`
  // is broken but inert (no `>` ever follows it)
  if (body.endsWith(CUT_SUFFIX)) {
    body = body.slice(0, -CUT_SUFFIX.length);
    const open = body.lastIndexOf('<');
    const tail = body.slice(open);
    if (
      open >= 0 &&
      !tail.includes('>') &&
      ['<https://', '<http://', '<!date^'].some((p) => p.startsWith(tail.slice(0, p.length).toLowerCase()))
    ) {
      body = body.slice(0, open);
    }
  }
  let rest = '';
  let at = 0;
  for (;;) {
    const lt = body.indexOf('<', at);
    if (lt < 0) {
      rest += body.slice(at);
      break;
    }
    rest += body.slice(at, lt);
    const token = [LINK, DATE, ...(options.mentions ? [MENTION] : [])]
      .map((re) => {
        re.lastIndex = lt;
        return re.exec(body)?.[0];
      })
      .find((m) => m !== undefined);
    if (!token) {
      problems.push(`markup from the input at ${lt}: ${JSON.stringify(body.slice(lt, lt + 40))}`);
      rest += '<';
      at = lt + 1;
      continue;
    }
    at = lt + token.length;
  }
  if (rest.includes('>')) problems.push(`a bare ">" outside our links: ${JSON.stringify(rest.slice(0, 80))}`);
  const amp = /&(?!amp;|lt;|gt;)/.exec(text);
  if (amp)
    problems.push(`an "&" that is not one of our escapes: ${JSON.stringify(text.slice(amp.index, amp.index + 12))}`);
  return problems;
}

interface Check {
  problems: string[];
  mentions: boolean;
  blockIds: Set<string>;
}

function fail(check: Check, path: string, message: string) {
  check.problems.push(`${path}: ${message}`);
}

function str(check: Check, value: unknown, path: string, max: number, options: { min?: number } = {}) {
  if (typeof value !== 'string') return fail(check, path, `not a string (${typeof value})`);
  if (value.length < (options.min ?? 1)) fail(check, path, 'empty');
  if (value.length > max) fail(check, path, `${value.length} characters > ${max}`);
}

/**
 * Code points that show nothing or turn text around (issue #12): no text shown in Slack may hold one, except a
 * zero-width joiner inside an emoji sequence.
 */
const INVISIBLE =
  /[\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0000}-\u{E007F}]|\u034F|\u17B4|\u17B5/u;
const EMOJI_ZWJ = /(?<=\p{Extended_Pictographic}|\p{Emoji_Modifier}|\uFE0F)\u200D(?=\p{Extended_Pictographic})/gu;

function visible(check: Check, text: unknown, path: string) {
  const hidden = typeof text === 'string' ? INVISIBLE.exec(text.replace(EMOJI_ZWJ, '')) : null;
  if (hidden) fail(check, path, `an invisible character U+${hidden[0].codePointAt(0)?.toString(16).toUpperCase()}`);
}

function plainText(check: Check, value: unknown, path: string, max: number) {
  if (!isObj(value) || value.type !== 'plain_text') return fail(check, path, 'not a plain_text object');
  str(check, value.text, `${path}.text`, max);
  visible(check, value.text, `${path}.text`);
}

function textObject(check: Check, value: unknown, path: string, max: number) {
  if (isObj(value) && value.type === 'mrkdwn') {
    str(check, value.text, `${path}.text`, max);
    visible(check, value.text, `${path}.text`);
    if (typeof value.text === 'string') {
      for (const p of mrkdwnProblems(value.text, { mentions: check.mentions })) fail(check, `${path}.text`, p);
    }
    return;
  }
  plainText(check, value, path, max);
}

function option(check: Check, value: unknown, path: string) {
  if (!isObj(value)) return fail(check, path, 'not an option');
  plainText(check, value.text, `${path}.text`, 75);
  str(check, value.value, `${path}.value`, 150, { min: 0 });
}

function options(check: Check, value: unknown, path: string, max: number) {
  if (!Array.isArray(value) || value.length === 0 || value.length > max) {
    return fail(check, path, `not 1..${max} options`);
  }
  value.forEach((o, i) => {
    option(check, o, `${path}[${i}]`);
  });
}

function button(check: Check, el: Obj, path: string) {
  plainText(check, el.text, `${path}.text`, 75);
  str(check, el.action_id, `${path}.action_id`, 255);
  if (el.value !== undefined) str(check, el.value, `${path}.value`, 2000);
  if (el.url !== undefined) {
    str(check, el.url, `${path}.url`, 3000);
    if (typeof el.url !== 'string' || !/^https?:\/\//.test(el.url)) fail(check, `${path}.url`, 'not an http(s) URL');
  }
  if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') fail(check, path, 'bad style');
  if (el.confirm !== undefined) {
    const confirm = el.confirm as Obj;
    plainText(check, confirm.title, `${path}.confirm.title`, 100);
    textObject(check, confirm.text, `${path}.confirm.text`, 300);
    plainText(check, confirm.confirm, `${path}.confirm.confirm`, 30);
    plainText(check, confirm.deny, `${path}.confirm.deny`, 30);
  }
}

function element(check: Check, el: unknown, path: string, inModal: boolean) {
  if (!isObj(el)) return fail(check, path, 'not an element');
  if (el.type === 'button') return button(check, el, path);
  if (!inModal) return fail(check, path, `${String(el.type)} outside a modal`);
  str(check, el.action_id, `${path}.action_id`, 255);
  if (el.placeholder !== undefined) plainText(check, el.placeholder, `${path}.placeholder`, 150);
  switch (el.type) {
    case 'plain_text_input': {
      const max = el.max_length;
      if (typeof max !== 'number' || max < 1 || max > 3000) fail(check, `${path}.max_length`, 'not 1..3000');
      if (el.initial_value !== undefined) str(check, el.initial_value, `${path}.initial_value`, Number(max));
      return;
    }
    case 'external_select':
    case 'multi_external_select':
      if (el.initial_option !== undefined) option(check, el.initial_option, `${path}.initial_option`);
      return;
    case 'static_select':
      return options(check, el.options, `${path}.options`, 100);
    case 'radio_buttons':
    case 'checkboxes': {
      options(check, el.options, `${path}.options`, 10);
      const initial = el.initial_option as Obj | undefined;
      if (initial && !(el.options as Obj[]).some((o) => o.value === initial.value)) {
        fail(check, `${path}.initial_option`, 'not one of the options');
      }
      const initials = el.initial_options;
      if (initials !== undefined) {
        // Slack refuses an empty list, and one naming an option that is not there
        if (!Array.isArray(initials) || initials.length === 0) fail(check, `${path}.initial_options`, 'empty');
        else if (!initials.every((i: Obj) => (el.options as Obj[]).some((o) => o.value === i.value))) {
          fail(check, `${path}.initial_options`, 'not among the options');
        }
      }
      return;
    }
    case 'datetimepicker':
    case 'number_input':
      return;
    case 'file_input': {
      // Slack: max_files 1..10 (10 when absent); filetypes a list of extensions
      const max = el.max_files;
      if (max !== undefined && (typeof max !== 'number' || max < 1 || max > 10)) {
        fail(check, `${path}.max_files`, 'not 1..10');
      }
      if (el.filetypes !== undefined && !Array.isArray(el.filetypes)) fail(check, `${path}.filetypes`, 'not a list');
      return;
    }
    default:
      fail(check, path, `unexpected element ${String(el.type)}`);
  }
}

function block(check: Check, b: unknown, path: string, inModal: boolean) {
  if (!isObj(b)) return fail(check, path, 'not a block');
  if (b.block_id !== undefined) {
    str(check, b.block_id, `${path}.block_id`, 255);
    if (check.blockIds.has(String(b.block_id))) fail(check, `${path}.block_id`, 'duplicate');
    check.blockIds.add(String(b.block_id));
  }
  switch (b.type) {
    case 'header':
      return plainText(check, b.text, `${path}.text`, 150);
    case 'divider':
      return;
    case 'section':
      textObject(check, b.text, `${path}.text`, 3000);
      if (b.accessory !== undefined) element(check, b.accessory, `${path}.accessory`, inModal);
      return;
    case 'context': {
      const elements = b.elements;
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10) {
        return fail(check, `${path}.elements`, 'not 1..10 elements');
      }
      elements.forEach((e, i) => {
        textObject(check, e, `${path}.elements[${i}]`, 3000);
      });
      return;
    }
    case 'actions': {
      const elements = b.elements;
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) {
        return fail(check, `${path}.elements`, 'not 1..25 elements');
      }
      elements.forEach((e, i) => {
        element(check, e, `${path}.elements[${i}]`, inModal);
      });
      return;
    }
    case 'input':
      if (!inModal) return fail(check, path, 'an input outside a modal');
      plainText(check, b.label, `${path}.label`, 2000);
      if (b.hint !== undefined) plainText(check, b.hint, `${path}.hint`, 2000);
      return element(check, b.element, `${path}.element`, true);
    default:
      fail(check, path, `unexpected block ${String(b.type)}`);
  }
}

/** Every string in `value`, with its path. */
function* strings(value: unknown, path = '$'): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${path}[${i}]`);
  else if (isObj(value)) for (const [k, v] of Object.entries(value)) yield* strings(v, `${path}.${k}`);
}

function serialisable(check: Check, value: unknown) {
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return fail(check, '$', `not JSON: ${String(error)}`);
  }
  try {
    expect(JSON.parse(json)).toEqual(value);
  } catch {
    fail(check, '$', 'changes through JSON');
  }
  for (const [path, s] of strings(value)) if (!s.isWellFormed()) fail(check, path, 'lone surrogate');
}

const newCheck = (mentions = false): Check => ({ problems: [], mentions, blockIds: new Set() });

/** Problems with a message (`text` + `blocks`) as chat.postMessage / response_url take it. */
export function messageProblems(message: { text: string; blocks: unknown[] }, options: { mentions?: boolean } = {}) {
  const check = newCheck(options.mentions);
  serialisable(check, message);
  str(check, message.text, 'text', 40_000);
  for (const p of mrkdwnProblems(message.text, options)) fail(check, 'text', p);
  if (message.blocks.length === 0 || message.blocks.length > 50) fail(check, 'blocks', `${message.blocks.length}`);
  message.blocks.forEach((b, i) => {
    block(check, b, `blocks[${i}]`, false);
  });
  return check.problems;
}

/** Problems with a modal view as views.open / views.update take it. */
export function viewProblems(modal: object) {
  const view = modal as Obj;
  const check = newCheck();
  serialisable(check, view);
  if (view.type !== 'modal') fail(check, 'type', 'not a modal');
  plainText(check, view.title, 'title', 24);
  if (view.submit !== undefined) plainText(check, view.submit, 'submit', 24);
  if (view.close !== undefined) plainText(check, view.close, 'close', 24);
  if (view.callback_id !== undefined) str(check, view.callback_id, 'callback_id', 255);
  if (view.private_metadata !== undefined) str(check, view.private_metadata, 'private_metadata', 3000, { min: 0 });
  const blocks = view.blocks;
  if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > 100) {
    fail(check, 'blocks', 'not 1..100 blocks');
  } else {
    blocks.forEach((b, i) => {
      block(check, b, `blocks[${i}]`, true);
    });
  }
  return check.problems;
}

/** Problems with a Home tab view as views.publish takes it: 100 blocks at most; inputs and selects allowed. */
export function homeViewProblems(home: object) {
  const view = home as Obj;
  const check = newCheck();
  serialisable(check, view);
  if (view.type !== 'home') fail(check, 'type', 'not a home view');
  if (view.private_metadata !== undefined) str(check, view.private_metadata, 'private_metadata', 3000, { min: 0 });
  if (view.callback_id !== undefined) str(check, view.callback_id, 'callback_id', 255);
  const blocks = view.blocks;
  if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > 100) {
    fail(check, 'blocks', `not 1..100 blocks (${Array.isArray(blocks) ? blocks.length : 'none'})`);
  } else {
    blocks.forEach((b, i) => {
      block(check, b, `blocks[${i}]`, true);
    });
  }
  return check.problems;
}

/** Problems with an options answer (block_suggestion): options or option groups, 100 options at most. */
export function optionsProblems(answer: {
  options?: unknown[];
  option_groups?: Array<{ label: unknown; options: unknown[] }>;
}) {
  const check = newCheck();
  serialisable(check, answer);
  let total = 0;
  for (const [i, o] of (answer.options ?? []).entries()) {
    option(check, o, `options[${i}]`);
    total += 1;
  }
  for (const [g, group] of (answer.option_groups ?? []).entries()) {
    plainText(check, group.label, `option_groups[${g}].label`, 75);
    if (group.options.length === 0) fail(check, `option_groups[${g}]`, 'empty group');
    for (const [i, o] of group.options.entries()) {
      option(check, o, `option_groups[${g}].options[${i}]`);
      total += 1;
    }
  }
  if (total > 100) fail(check, 'options', `${total} > 100`);
  return check.problems;
}
