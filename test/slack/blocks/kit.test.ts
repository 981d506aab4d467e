import { describe, expect, it } from 'vitest';
import {
  actions,
  button,
  context,
  externalSelect,
  header,
  input,
  LIMITS,
  modal,
  mrkdwn,
  option,
  plain,
  plainText,
  section,
} from '../../../src/slack/blocks/kit.ts';
import { CUT_SUFFIX } from '../../../src/slack/mrkdwn.ts';

// The builders' messages and views are sent as JSON: the kit keeps keys in the order they always had, so these
// tests compare serialised text where the order is the point.

describe('text objects', () => {
  it('plainText sends emoji only when it is set', () => {
    expect(JSON.stringify(plainText('Reply'))).toBe('{"type":"plain_text","text":"Reply"}');
    expect(JSON.stringify(plainText(':x:', false))).toBe('{"type":"plain_text","text":":x:","emoji":false}');
  });

  it('plain drops invisible and direction-changing characters, and never leaves the text empty', () => {
    expect(plain('Ann\u202Egel \u200Bx')).toEqual({ type: 'plain_text', text: 'Anngel x', emoji: true });
    expect(plain('\u200B\u200D').text).toBe('…');
    expect(plain('').text).toBe('…');
  });

  it('plain cuts to the limit it is given, and only then removes invisible characters', () => {
    expect(plain('x'.repeat(3000)).text).toHaveLength(3000);
    const cut = plain('y'.repeat(LIMITS.option + 5), LIMITS.option).text;
    expect(cut).toBe(`${'y'.repeat(LIMITS.option - 1)}…`);
    // ten zero-width spaces count against the 75 before they go: what is left is shorter
    expect(plain(`${'\u200B'.repeat(10)}${'z'.repeat(80)}`, LIMITS.option).text).toBe(`${'z'.repeat(64)}…`);
  });

  it('mrkdwn keeps markup as it is and cuts to Slack’s 3,000 characters', () => {
    expect(mrkdwn('*<https://x.example|x>*')).toEqual({ type: 'mrkdwn', text: '*<https://x.example|x>*' });
    const long = mrkdwn('a'.repeat(LIMITS.section + 1)).text;
    expect(long).toHaveLength(LIMITS.section);
    expect(long.endsWith(CUT_SUFFIX)).toBe(true);
    expect(mrkdwn('b'.repeat(LIMITS.section)).text).toBe('b'.repeat(LIMITS.section));
  });
});

describe('blocks', () => {
  const share = button('share:1', 'Share', { value: '1' });

  it('section: block id before the text, accessory after, neither when not given', () => {
    expect(JSON.stringify(section('hi'))).toBe('{"type":"section","text":{"type":"mrkdwn","text":"hi"}}');
    expect(Object.keys(section('hi', { blockId: '', accessory: undefined }))).toEqual(['type', 'text']);
    expect(Object.keys(section('hi', { blockId: 'b', accessory: share }))).toEqual([
      'type',
      'block_id',
      'text',
      'accessory',
    ]);
    expect(section('c'.repeat(4000)).text?.text).toHaveLength(LIMITS.section);
  });

  it('context: at most 10 elements, each mrkdwn within 3,000 characters', () => {
    const line = context(...Array.from({ length: 12 }, (_, i) => `${i}`.repeat(i === 0 ? 5000 : 1)));
    expect(line.type).toBe('context');
    expect(line.elements).toHaveLength(LIMITS.contextElements);
    expect(line.elements[0]).toEqual(mrkdwn('0'.repeat(5000)));
    expect(line.elements.at(-1)).toEqual({ type: 'mrkdwn', text: '9' });
  });

  it('header: plain text cut to 150, emoji codes shown as written', () => {
    const made = header('h'.repeat(200));
    expect(made.text).toEqual({ type: 'plain_text', text: `${'h'.repeat(149)}…`, emoji: false });
    expect(JSON.stringify(header('Hi'))).toBe(
      '{"type":"header","text":{"type":"plain_text","text":"Hi","emoji":false}}',
    );
  });

  it('actions: the block id only when given, before the elements', () => {
    expect(Object.keys(actions([share]))).toEqual(['type', 'elements']);
    expect(Object.keys(actions([share], 'card:1'))).toEqual(['type', 'block_id', 'elements']);
    expect(actions([share], 'card:1').elements).toEqual([share]);
  });

  it('button: a string label is plain text within 75, a text object is used as given; fields keep their order', () => {
    // cut to 75 (the override counts), then the override goes
    const long = button('a', `L\u202E${'l'.repeat(100)}`, { value: 'v' });
    expect(long.text).toEqual({ type: 'plain_text', text: `L${'l'.repeat(72)}…`, emoji: true });
    expect(button('a', plainText('Reply'), { value: 'v' }).text).toEqual({ type: 'plain_text', text: 'Reply' });
    expect(Object.keys(button('a', 'A', { value: 'v', style: 'primary' }))).toEqual([
      'type',
      'action_id',
      'text',
      'value',
      'style',
    ]);
    expect(Object.keys(button('a', 'A', { style: 'primary', value: 'v' }))).toEqual([
      'type',
      'action_id',
      'text',
      'style',
      'value',
    ]);
  });

  it('option: text within 75 characters, the value left as it is (callers fit it)', () => {
    const made = option('o'.repeat(100), 'v'.repeat(LIMITS.optionValue + 50));
    expect(made.text).toEqual({ type: 'plain_text', text: `${'o'.repeat(74)}…`, emoji: true });
    expect(made.value).toHaveLength(LIMITS.optionValue + 50);
  });

  it('input: type and block id first, then the fields in the order given', () => {
    const element = { type: 'datetimepicker', action_id: 'at' } as const;
    const optionalFirst = input('at', { optional: true, label: plain('When'), element });
    expect(Object.keys(optionalFirst)).toEqual(['type', 'block_id', 'optional', 'label', 'element']);
    const labelFirst = input('at', { label: plain('When'), optional: false, element });
    expect(Object.keys(labelFirst)).toEqual(['type', 'block_id', 'label', 'optional', 'element']);
    expect(labelFirst).toMatchObject({ type: 'input', block_id: 'at', element });
  });

  it('externalSelect: a placeholder, and an option chosen already only when given', () => {
    expect(externalSelect('who', 2, 'Type\u200B a name')).toEqual({
      type: 'external_select',
      action_id: 'who',
      min_query_length: 2,
      placeholder: { type: 'plain_text', text: 'Type a name', emoji: true },
    });
    const chosen = externalSelect('who', 0, 'Pick', option('Ann', 'id:1'));
    expect(Object.keys(chosen).at(-1)).toBe('initial_option');
    expect(chosen.initial_option).toEqual(option('Ann', 'id:1'));
  });
});

describe('modal', () => {
  it('carries its state as JSON, a submit button and Cancel, in the order views have always been sent', () => {
    const view = modal('triage_tag', { conversationId: '5', channel: 'C1' }, 'Tag conversation', 'Tag', [section('x')]);
    expect(JSON.parse(view.private_metadata)).toEqual({ conversationId: '5', channel: 'C1' });
    expect(Object.keys(view)).toEqual([
      'type',
      'callback_id',
      'private_metadata',
      'title',
      'submit',
      'close',
      'blocks',
    ]);
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: 'triage_tag',
      title: plain('Tag conversation'),
      submit: plain('Tag'),
      close: plain('Cancel'),
      blocks: [section('x')],
    });
  });
});
