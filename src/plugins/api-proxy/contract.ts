import type { InjectionToken } from 'tsyringe';
import { z } from 'zod';
import type { SessionEvent, StopReason } from '../sessions/contract.js';

/** A chat message as the `/api/chat` and OpenAI surfaces carry it: a role and plain text. */
export const ChatTextMessage = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });
export type ChatTextMessage = z.infer<typeof ChatTextMessage>;

/** Most messages one chat request may carry (more → 413 with this limit in `data.limit`). */
export const MAX_CHAT_MESSAGES = 500;

export interface ChatTurnRequest {
  /** Reuse this session: its last user message is prompted. Without it a session is created. */
  sessionId?: string;
  /** The profile of a new session (default: the default profile). */
  profile?: string;
  /** The conversation; the last one must be the user's. */
  messages: readonly ChatTextMessage[];
}

export interface ChatUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ChatTurnResult {
  sessionId: string;
  /** The assistant's text of the whole turn (every model request of it, tool rounds included). */
  reply: string;
  stopReason: StopReason;
  usage: ChatUsage;
}

/** A conversation whose session is open: what is left to do is prompt its last user message. */
export interface OpenedChat {
  readonly sessionId: string;
  /** The text prompted (the last user message). */
  readonly prompt: string;
}

/** A turn that has started (its session exists and accepted the prompt). */
export interface RunningChatTurn {
  readonly sessionId: string;
  /** Settles when the turn ends: its result, or the turn's client-safe error (an RpcError). */
  readonly done: Promise<ChatTurnResult>;
  /** Cancels the turn (ACP `session/cancel`); `done` then resolves with `cancelled`. */
  cancel(): Promise<boolean>;
}

/**
 * Chat turns over the host's session methods (`session/new` with history, `session/prompt`,
 * `session/cancel`), for the surfaces that speak whole conversations (`/api/chat`, OpenAI's
 * chat completions). The turn is owned by the service, not by an HTTP request: a client that
 * goes away never cancels it. Tool calls run inside Switchboard under the session's permission
 * mode; a call that must ask waits for any attached client, as for any turn.
 */
export interface ChatTurns {
  /**
   * Opens the session: checks a given one exists (404), or creates one from the messages (their
   * system prompt and history; an unknown profile is 404). A malformed conversation is 400.
   */
  open(request: ChatTurnRequest): Promise<OpenedChat>;
  /**
   * Starts the turn; `onEvent` gets each event of the session from `turn_started` to
   * `turn_ended`. Rejects before the turn starts when the prompt is refused (a turn already
   * running: 409).
   */
  run(chat: OpenedChat, onEvent?: (event: SessionEvent) => void): Promise<RunningChatTurn>;
}

export const ChatTurnsToken = Symbol('ChatTurns') as InjectionToken<ChatTurns>;
