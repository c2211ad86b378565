import type { InjectionToken } from 'tsyringe';

/** The provider kinds a profile can name. `ollama` is openai-compatible at Ollama's local address. */
export type ProviderKind = 'openai-compatible' | 'anthropic' | 'ollama';

/**
 * Everything a provider instance needs, resolved from one profile (secrets included, so this
 * object is never logged or returned). Built fresh per session turn; never shared.
 */
export interface ProviderConfig {
  /** The profile it came from: named in errors so a person knows what to fix. */
  readonly profile: string;
  readonly kind: ProviderKind;
  readonly model: string;
  /** OpenAI-compatible: up to and including `/v1`; Anthropic: the origin (`/v1/messages` is added). */
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly maxTokens?: number;
  readonly temperature?: number;
  /** Reasoning effort (a session's `thought_level`), sent only when set and the provider supports it. */
  readonly reasoningEffort?: ReasoningEffort;
}

/** The reasoning-effort levels offered as `thought_level` (OpenAI's `reasoning_effort` values). */
export const REASONING_EFFORTS = ['low', 'medium', 'high'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** ACP ContentBlock as a prompt carries it (text, image, audio, resource_link, resource). */
export type PromptBlock = { type: string; [key: string]: unknown };

export interface ToolCallPart {
  id: string;
  name: string;
  /** The arguments as the model produced them: a JSON text (possibly invalid). */
  arguments: string;
}

/** The neutral conversation format the session stores and every provider translates. */
export type ChatMessage =
  | { role: 'user'; content: PromptBlock[]; /** ACP messageId of its chunks (stable across replay). */ messageId?: string }
  | {
      role: 'assistant';
      text: string;
      /** ACP messageId of its chunks (stable across replay). */
      messageId?: string;
      thinking?: string;
      /** Anthropic's thinking signature: required to send thinking back with tool use. */
      thinkingSignature?: string;
      toolCalls?: ToolCallPart[];
    }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  inputSchema: Record<string, unknown>;
}

export interface ChatRequest {
  system?: string;
  messages: readonly ChatMessage[];
  tools: readonly ToolSpec[];
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'refusal';

/** What a provider stream yields, in batches (what arrived in one network read). */
export type ProviderEvent =
  | { type: 'text'; text: string }
  | { type: 'thinking'; text: string }
  | { type: 'thinking_signature'; signature: string }
  | { type: 'tool_call'; call: ToolCallPart }
  | { type: 'usage'; inputTokens: number; outputTokens: number }
  | { type: 'finish'; reason: FinishReason };

export interface ModelList {
  models: string[];
}

/** One provider instance, bound to one resolved profile. */
export interface Provider {
  readonly config: Pick<ProviderConfig, 'profile' | 'kind' | 'model' | 'baseUrl'>;
  /**
   * Streams one model response. Yields batches of events (adjacent text deltas merged) as they
   * arrive; throws an RpcError for provider failures; aborting `signal` aborts the request at once.
   */
  stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<ProviderEvent[], void, undefined>;
  /** A real minimal call (list models), for `profiles/test`. */
  listModels(signal: AbortSignal): Promise<ModelList>;
}

export interface ProviderFactory {
  create(config: ProviderConfig): Provider;
}

export const ProviderFactoryToken = Symbol('ProviderFactory') as InjectionToken<ProviderFactory>;
