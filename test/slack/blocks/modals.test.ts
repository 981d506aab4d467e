import { describe, expect, it } from 'vitest';
import type { Admin, Team } from '../../../src/intercom/schemas.ts';
import {
  assigneeOptions,
  assignModal,
  messageModal,
  refusalModal,
  snoozeModal,
  tagModal,
  tagOptions,
} from '../../../src/slack/blocks/modals.ts';
import { parseAssignee } from '../../../src/slack/listeners/view-state.ts';

const context = { conversationId: '503', channel: 'C1', cardTs: '1.2' };

describe('triage modals', () => {
  it('carry the conversation and card in private_metadata and fit Slack’s title limit', () => {
    for (const view of [
      messageModal('reply', context),
      messageModal('note', context),
      assignModal(context),
      snoozeModal(context),
      tagModal(context),
    ]) {
      expect(JSON.parse(view.private_metadata)).toEqual(context);
      expect(view.title.text.length).toBeLessThanOrEqual(24);
      expect(view.submit.text.length).toBeLessThanOrEqual(24);
    }
  });

  it('say plainly whether the text reaches the customer', () => {
    expect(JSON.stringify(messageModal('reply', context).blocks)).toContain('The customer will see this');
    expect(JSON.stringify(messageModal('note', context).blocks)).toContain('Only teammates see this');
    expect(JSON.stringify(messageModal('note', context).blocks)).not.toContain('customer will see');
  });

  it('show the card’s title escaped, so a subject cannot ping or link', () => {
    const text = JSON.stringify(messageModal('reply', context, '<!channel> *urgent*').blocks);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
  });

  it('turn into a reason without a submit button for people who may not act', () => {
    const view = refusalModal('Reply to customer', 'No Intercom teammate has <your> email');
    expect(view).not.toHaveProperty('submit');
    expect(JSON.stringify(view.blocks)).toContain('&lt;your&gt;');
  });
});

const admin = (id: string, name: string, email?: string) => ({ id, name, email }) as Admin;
const team = (id: string, name: string) => ({ id, name }) as Team;

describe('assignee options', () => {
  it('lists me and nobody, then teammates and teams by name, filtered by every typed word', () => {
    const admins = [admin('2', 'Zoe', 'zoe@x.io'), admin('1', 'Ann Lee', 'ann@x.io')];
    const teams = [team('7', 'Billing'), team('8', 'Abuse')];
    const all = assigneeOptions('', admins, teams).option_groups.map((g) => g.options.map((o) => o.value));
    expect(all).toEqual([
      ['me', 'nobody'],
      ['admin:1', 'admin:2'],
      ['team:8', 'team:7'],
    ]);
    const typed = assigneeOptions('  LEE ann ', admins, teams).option_groups;
    expect(typed.map((g) => g.options.map((o) => o.value))).toEqual([['admin:1']]);
    expect(typed[0]?.options[0]?.text.text).toBe('Ann Lee (ann@x.io)');
  });

  it('never offers more than 100 options, or text longer than 75 characters', () => {
    const admins = Array.from({ length: 150 }, (_, i) => admin(String(i + 1), `Person ${i} ${'x'.repeat(90)}`));
    const groups = assigneeOptions('', admins, [team('1', 'T')]).option_groups;
    const options = groups.flatMap((g) => g.options);
    expect(options).toHaveLength(100);
    expect(Math.max(...options.map((o) => o.text.text.length))).toBeLessThanOrEqual(75);
  });

  it('show names without invisible or direction-changing characters, and never an empty text', () => {
    const admins = [admin('1', 'Ann\u202Egel', 'ann@x.io'), admin('2', '\u200B\u200D')];
    const teams = [team('7', 'Bil\u2067ling')];
    const texts = assigneeOptions('', admins, teams).option_groups.flatMap((g) => g.options.map((o) => o.text.text));
    expect(texts).toEqual(['Me', 'Nobody (unassign)', '…', 'Anngel (ann@x.io)', 'Billing']);
    expect(tagOptions('', [{ id: '1', name: 'v\uFEFFip' }]).options[0]?.text.text).toBe('vip');
  });

  it('reads back only values it offered', () => {
    expect(parseAssignee('me')).toBe('me');
    expect(parseAssignee('nobody')).toBe('nobody');
    expect(parseAssignee('team:42')).toEqual({ type: 'team', id: '42' });
    expect(parseAssignee('admin:991')).toEqual({ type: 'admin', id: '991' });
    for (const bad of [undefined, '', 'admin:', 'admin:1/../x', 'robot:1', 'me '])
      expect(parseAssignee(bad)).toBeUndefined();
  });
});

describe('tag options', () => {
  it('match the typed text case-insensitively, sorted by name', () => {
    const tags = [
      { id: '1', name: 'VIP' },
      { id: '2', name: 'refund' },
      { id: '3', name: 'vip-lite' },
    ];
    expect(tagOptions('vi', tags).options.map((o) => o.value)).toEqual(['1', '3']);
    expect(tagOptions('', tags).options.map((o) => o.text.text)).toEqual(['refund', 'VIP', 'vip-lite']);
  });
});
