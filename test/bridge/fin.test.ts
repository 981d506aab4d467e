import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { finState } from '../../src/bridge/fin.ts';
import { Conversation, type ConversationPart, conversationParts, parseLenient } from '../../src/intercom/schemas.ts';

/** A real payload from test/fixtures/intercom/real (see SOURCES.md there), unwrapped from its webhook envelope. */
function real(name: string): Record<string, unknown> {
  const json = JSON.parse(readFileSync(new URL(`../fixtures/intercom/real/${name}`, import.meta.url), 'utf8'));
  return json.type === 'notification_event' ? json.data.item : json;
}

function parse(raw: Record<string, unknown>): Conversation {
  const parsed = parseLenient(Conversation, raw);
  if (!parsed.success) throw parsed.error;
  return parsed.data;
}

function stateOf(raw: Record<string, unknown>) {
  const conversation = parse(raw);
  return finState(conversation, conversationParts(conversation));
}

const part = (fields: Partial<ConversationPart>): ConversationPart => ({
  id: '1',
  part_type: 'comment',
  body: '<p>Hello</p>',
  ...fields,
});

/** A conversation with nothing about Fin and nobody assigned, to vary one field at a time. */
const bare = (fields: Partial<Conversation> = {}): Conversation => ({ id: '1', ...fields });

describe('finState on real payloads', () => {
  it('sees Fin in the documented model (participation flag, ai_agent block, an AI part) and a team assignee', () => {
    expect(stateOf(real('doc-schema-conversation-operator-initiated-fin.json'))).toEqual({
      involved: true,
      handedOff: true,
      resolution: 'assumed_resolution',
    });
  });

  it('does not count a Fin part with an admin author as a teammate reply, nor assumed_resolution as a handoff', () => {
    const raw = real('doc-schema-conversation-operator-initiated-fin.json');
    expect(stateOf({ ...raw, admin_assignee_id: null, team_assignee_id: 0 })).toMatchObject({
      involved: true,
      handedOff: false,
    });
  });

  it('trusts ai_agent_participated false over a reply-time notice from an Operator bot named Fin', () => {
    expect(stateOf(real('webhook-conversation-operator-replied-fin-lead-no-name.json'))).toEqual({
      involved: false,
      handedOff: false,
      resolution: null,
    });
  });

  it('trusts ai_agent_participated false over an attribute update by a bot named Fin; assigned is handed off', () => {
    expect(stateOf(real('api-conversation-admin-initiated-with-fin-parts.json'))).toEqual({
      involved: false,
      handedOff: true,
      resolution: null,
    });
  });

  it('reads assignee ids of "0" as nobody (a ticket webhook whose only admin part is a bodiless state change)', () => {
    expect(stateOf(real('webhook-ticket-created-fin.json')).handedOff).toBe(false);
  });

  it('sees a teammate reply in a legacy payload without the AI fields (Operator bot parts are not Fin)', () => {
    expect(stateOf(real('api-v1-conversation-operator-bot-parts-rated.json'))).toEqual({
      involved: false,
      handedOff: true,
      resolution: null,
    });
  });
});

describe('finState', () => {
  it('involved: the flag, the ai_agent block, or a part Fin wrote', () => {
    expect(finState(bare(), []).involved).toBe(false);
    expect(finState(bare({ ai_agent_participated: true }), []).involved).toBe(true);
    expect(finState(bare({ ai_agent: { resolution_state: null } }), []).involved).toBe(true);
    const author = { type: 'bot', name: 'Fin' };
    expect(finState(bare(), [part({ author: { ...author, from_ai_agent: true } })]).involved).toBe(true);
    expect(finState(bare(), [part({ author: { ...author, is_ai_answer: true } })]).involved).toBe(true);
  });

  it('involved by name only for a message from a bot called Fin, in a payload without the participation flag', () => {
    const fin = { type: 'bot', name: 'Fin' };
    expect(finState(bare(), [part({ author: fin })]).involved).toBe(true);
    expect(finState(bare(), [part({ author: fin, part_type: 'channel_and_reply_time_expectation' })]).involved).toBe(
      false,
    );
    expect(finState(bare(), [part({ author: fin, body: null })]).involved).toBe(false);
    expect(finState(bare(), [part({ author: { type: 'admin', name: 'Fin' } })]).involved).toBe(false);
    expect(finState(bare({ ai_agent_participated: false }), [part({ author: fin })]).involved).toBe(false);
  });

  it('handed off: assigned to a teammate or a team, never to 0', () => {
    expect(finState(bare({ admin_assignee_id: '991' }), []).handedOff).toBe(true);
    expect(finState(bare({ team_assignee_id: '5017691' }), []).handedOff).toBe(true);
    expect(finState(bare({ admin_assignee_id: '0', team_assignee_id: '0' }), []).handedOff).toBe(false);
    expect(finState(bare({ admin_assignee_id: null }), []).handedOff).toBe(false);
  });

  it('handed off: Fin routed or escalated it, in the words of 2.14 and of 2.15 and later', () => {
    const withState = (state: string) => finState(bare({ ai_agent: { resolution_state: state } }), []);
    for (const state of ['routed_to_team', 'escalated', 'procedure_handoff']) {
      expect(withState(state)).toEqual({ involved: true, handedOff: true, resolution: state });
    }
    for (const state of ['assumed_resolution', 'confirmed_resolution', 'abandoned', 'negative_feedback']) {
      expect(withState(state)).toEqual({ involved: true, handedOff: false, resolution: state });
    }
  });

  it('handed off: a teammate wrote to the customer (not a note, not a bodiless event, not Fin as an admin)', () => {
    const admin = { type: 'admin', id: '274', name: 'Jane' };
    expect(finState(bare(), [part({ author: admin })]).handedOff).toBe(true);
    expect(finState(bare(), [part({ author: admin, part_type: 'close' })]).handedOff).toBe(true);
    expect(finState(bare(), [part({ author: admin, part_type: 'note' })]).handedOff).toBe(false);
    expect(finState(bare(), [part({ author: admin, part_type: 'custom_action_started', body: null })]).handedOff).toBe(
      false,
    );
    expect(finState(bare(), [part({ author: { ...admin, from_ai_agent: true } })]).handedOff).toBe(false);
    expect(finState(bare(), [part({ author: { type: 'bot', name: 'Operator' } })]).handedOff).toBe(false);
    expect(finState(bare(), [part({ author: { type: 'user', id: 'u1' } })]).handedOff).toBe(false);
  });
});
