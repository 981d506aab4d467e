import type { Conversation, ConversationPart } from '../intercom/schemas.ts';

/** What the bridge knows about Fin (Intercom's AI agent) in one conversation. */
export interface FinState {
  /** Fin took part, by Intercom's participation flag, its `ai_agent` details, or a part Fin wrote. */
  involved: boolean;
  /** A person has it now: assigned to a teammate or team, Fin routed or escalated it, or a teammate replied. */
  handedOff: boolean;
  /** Fin's `ai_agent.resolution_state` as Intercom sends it (e.g. assumed_resolution, escalated); null when none. */
  resolution: string | null;
}

/**
 * Resolution states that mean Fin gave the conversation to people. The enum changed between API versions:
 * 2.14 says `routed_to_team`; 2.15 and later say `escalated`, or `procedure_handoff` (documented by its name
 * only: read as a Fin procedure handing over). All are listed, since a workspace may pin any version.
 */
const HANDOFF_STATES: ReadonlySet<string> = new Set(['routed_to_team', 'escalated', 'procedure_handoff']);

/** Fin's name on bot-authored parts; what workspaces without the AI flags (older payloads) still show. */
const FIN_NAME = 'fin';

/** Whether Fin is or was in the conversation, and whether it has reached a person since. */
export function finState(conversation: Conversation, parts: readonly ConversationPart[]): FinState {
  const resolution = conversation.ai_agent?.resolution_state ?? null;
  return {
    involved: finInvolved(conversation, parts),
    handedOff:
      assigned(conversation.admin_assignee_id) ||
      assigned(conversation.team_assignee_id) ||
      (resolution !== null && HANDOFF_STATES.has(resolution)) ||
      parts.some(teammateReplied),
    resolution,
  };
}

function finInvolved(conversation: Conversation, parts: readonly ConversationPart[]): boolean {
  if (conversation.ai_agent_participated || conversation.ai_agent) return true;
  if (parts.some(writtenByFin)) return true;
  // the workspace's Operator bot is often named Fin too and posts reply-time notices and attribute updates
  // under that name (ai_agent_participated false): the name counts only for a message, and only when the
  // payload predates the participation flag
  return conversation.ai_agent_participated == null && parts.some(finMessageByName);
}

function writtenByFin(part: ConversationPart): boolean {
  return !!(part.author?.from_ai_agent || part.author?.is_ai_answer);
}

function finMessageByName(part: ConversationPart): boolean {
  return (
    part.author?.type === 'bot' &&
    part.author.name?.trim().toLowerCase() === FIN_NAME &&
    (part.part_type === 'comment' || part.part_type === 'quick_reply') &&
    hasText(part)
  );
}

/** Intercom sends "no assignee" as null, absent, or 0 (a number or "0"). */
function assigned(id: string | null | undefined): boolean {
  return !!id && id !== '0';
}

/**
 * A teammate wrote to the customer. Notes are internal; parts Fin wrote may carry an admin author; and parts
 * without a body (attribute updates, custom actions, bare assignments) say nothing to the customer.
 */
function teammateReplied(part: ConversationPart): boolean {
  return part.author?.type === 'admin' && !writtenByFin(part) && !part.part_type?.startsWith('note') && hasText(part);
}

function hasText(part: ConversationPart): boolean {
  return !!part.body?.trim();
}
