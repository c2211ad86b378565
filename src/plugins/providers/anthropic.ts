import { HttpProvider } from './base.js';
import type { ChatMessage, ChatRequest, FinishReason, ModelList, Provider, ProviderEvent, ToolCallPart } from './contract.js';
import { streamCut, streamError } from './errors.js';
import { pushEvent, promptText } from './events.js';
import { send, sseBatches } from './http.js';

const ANTHROPIC_VERSION = '2023-06-01';
/** Extended-thinking budgets for each `thought_level`. */
const THINKING_BUDGET = { low: 1024, medium: 4096, high: 16_384 } as const;
const DEFAULT_MAX_TOKENS = 8192;

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

function parseArgs(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

/** The neutral history as Anthropic messages: tool results ride in user turns; roles alternate. */
export function toAnthropicMessages(messages: readonly ChatMessage[]): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  const push = (role: 'user' | 'assistant', content: Block[]) => {
    if (!content.length) return;
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...content);
    else out.push({ role, content });
  };
  for (const m of messages) {
    if (m.role === 'user') {
      push(
        'user',
        m.content.map((b) =>
          b.type === 'image'
            ? { type: 'image', source: { type: 'base64', media_type: String(b.mimeType), data: String(b.data) } }
            : { type: 'text', text: promptText([b]) || ' ' },
        ),
      );
    } else if (m.role === 'tool') {
      push('user', [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content, ...(m.isError ? { is_error: true } : {}) }]);
    } else {
      const content: Block[] = [];
      if (m.thinking && m.thinkingSignature) content.push({ type: 'thinking', thinking: m.thinking, signature: m.thinkingSignature });
      if (m.text) content.push({ type: 'text', text: m.text });
      for (const c of m.toolCalls ?? []) content.push({ type: 'tool_use', id: c.id, name: c.name, input: parseArgs(c.arguments) });
      push('assistant', content);
    }
  }
  return out;
}

const finishOf = (r: string | null | undefined): FinishReason =>
  r === 'max_tokens' ? 'length' : r === 'tool_use' ? 'tool_calls' : r === 'refusal' ? 'refusal' : 'stop';

interface StreamEvent {
  type: string;
  index?: number;
  message?: { usage?: { input_tokens?: number; output_tokens?: number } };
  content_block?: { type: string; id?: string; name?: string };
  delta?: { type?: string; text?: string; thinking?: string; signature?: string; partial_json?: string; stop_reason?: string | null };
  usage?: { output_tokens?: number; input_tokens?: number };
  error?: { type?: string; message?: string };
}

/** Anthropic Messages streaming. */
export class AnthropicProvider extends HttpProvider implements Provider {
  private headers(): Record<string, string> {
    return { 'anthropic-version': ANTHROPIC_VERSION, ...(this.cfg.apiKey ? { 'x-api-key': this.cfg.apiKey } : {}), ...this.cfg.headers };
  }

  private url(path: string): string {
    return `${this.cfg.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')}${path}`;
  }

  async *stream(req: ChatRequest, signal: AbortSignal): AsyncGenerator<ProviderEvent[], void, undefined> {
    const body: Record<string, unknown> = {
      model: this.cfg.model,
      max_tokens: this.cfg.maxTokens ?? DEFAULT_MAX_TOKENS,
      messages: toAnthropicMessages(req.messages),
      stream: true,
    };
    if (req.system) body.system = req.system;
    if (req.tools.length) body.tools = req.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema }));
    if (this.cfg.temperature !== undefined) body.temperature = this.cfg.temperature;
    const budget = this.cfg.reasoningEffort ? Math.min(THINKING_BUDGET[this.cfg.reasoningEffort], (body.max_tokens as number) - 1) : 0;
    // Extended thinking needs a budget of at least 1024 tokens below max_tokens, and no temperature.
    if (budget >= 1024) {
      body.thinking = { type: 'enabled', budget_tokens: budget };
      delete body.temperature;
    }
    const res = await send(this.pool, { url: this.url('/v1/messages'), method: 'POST', headers: this.headers(), body, signal, ctx: this.ctx });

    const tools = new Map<number, ToolCallPart>();
    let inputTokens = 0;
    let outputTokens = 0;
    let stop: string | null | undefined;
    let done = false;
    for await (const batch of sseBatches(res.body, signal, this.ctx)) {
      const out: ProviderEvent[] = [];
      for (const raw of batch) {
        let ev: StreamEvent;
        try {
          ev = JSON.parse(raw.data) as StreamEvent;
        } catch {
          continue;
        }
        switch (ev.type) {
          case 'message_start':
            inputTokens = ev.message?.usage?.input_tokens ?? 0;
            outputTokens = ev.message?.usage?.output_tokens ?? 0;
            break;
          case 'content_block_start':
            if (ev.content_block?.type === 'tool_use') {
              tools.set(ev.index ?? 0, { id: ev.content_block.id ?? `toolu_${ev.index}`, name: ev.content_block.name ?? '', arguments: '' });
            }
            break;
          case 'content_block_delta': {
            const d = ev.delta ?? {};
            if (d.type === 'text_delta' && d.text) pushEvent(out, { type: 'text', text: d.text });
            else if (d.type === 'thinking_delta' && d.thinking) pushEvent(out, { type: 'thinking', text: d.thinking });
            else if (d.type === 'signature_delta' && d.signature) out.push({ type: 'thinking_signature', signature: d.signature });
            else if (d.type === 'input_json_delta') {
              const t = tools.get(ev.index ?? 0);
              if (t && d.partial_json) t.arguments += d.partial_json;
            }
            break;
          }
          case 'content_block_stop': {
            const t = tools.get(ev.index ?? 0);
            if (t) out.push({ type: 'tool_call', call: { ...t, arguments: t.arguments || '{}' } });
            break;
          }
          case 'message_delta':
            if (ev.delta?.stop_reason !== undefined) stop = ev.delta.stop_reason;
            if (ev.usage?.output_tokens !== undefined) outputTokens = ev.usage.output_tokens;
            if (ev.usage?.input_tokens !== undefined) inputTokens = ev.usage.input_tokens;
            break;
          case 'message_stop':
            done = true;
            break;
          case 'error':
            throw streamError(ev.error?.type, ev.error?.message, this.ctx);
          default:
            break; // ping and future event types
        }
      }
      if (out.length) yield out;
      if (done) break;
    }
    if (!done) throw streamCut(this.ctx);
    yield [
      { type: 'usage', inputTokens, outputTokens },
      { type: 'finish', reason: finishOf(stop) },
    ];
  }

  async listModels(signal: AbortSignal): Promise<ModelList> {
    const res = await send(this.pool, { url: this.url('/v1/models'), method: 'GET', headers: this.headers(), signal, ctx: this.ctx });
    const json = (await res.body.json()) as { data?: { id?: string }[] };
    return { models: (json.data ?? []).map((m) => String(m.id ?? '')).filter(Boolean) };
  }
}
