import { HttpProvider } from './base.js';
import type {
  ChatMessage,
  ChatRequest,
  FinishReason,
  ModelList,
  PromptBlock,
  Provider,
  ProviderEvent,
  ToolCallPart,
} from './contract.js';
import { streamCut, streamError } from './errors.js';
import { send, sseBatches } from './http.js';
import { pushEvent, promptText } from './events.js';

type OpenAIMessage = Record<string, unknown>;

function userContent(blocks: PromptBlock[]): string | unknown[] {
  const hasImage = blocks.some((b) => b.type === 'image');
  if (!hasImage) return promptText(blocks);
  return blocks.map((b) =>
    b.type === 'image'
      ? { type: 'image_url', image_url: { url: `data:${String(b.mimeType)};base64,${String(b.data)}` } }
      : { type: 'text', text: promptText([b]) },
  );
}

/** The neutral history as OpenAI chat-completions messages. */
export function toOpenAIMessages(system: string | undefined, messages: readonly ChatMessage[]): OpenAIMessage[] {
  const out: OpenAIMessage[] = system ? [{ role: 'system', content: system }] : [];
  for (const m of messages) {
    if (m.role === 'user') out.push({ role: 'user', content: userContent(m.content) });
    else if (m.role === 'tool') out.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.content });
    else {
      const msg: OpenAIMessage = { role: 'assistant', content: m.text || null };
      if (m.toolCalls?.length) {
        msg.tool_calls = m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
      }
      out.push(msg);
    }
  }
  return out;
}

const finishOf = (r: string): FinishReason =>
  r === 'length' ? 'length' : r === 'tool_calls' || r === 'function_call' ? 'tool_calls' : r === 'content_filter' ? 'refusal' : 'stop';

interface Chunk {
  choices?: {
    delta?: {
      content?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      refusal?: string | null;
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string; type?: string; code?: string };
}

interface Completion {
  choices?: { message?: { content?: string | null; reasoning_content?: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[] }; finish_reason?: string }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

function wholeCompletion(c: Completion): ProviderEvent[] {
  const out: ProviderEvent[] = [];
  const choice = c.choices?.[0];
  const m = choice?.message ?? {};
  if (m.reasoning_content) out.push({ type: 'thinking', text: m.reasoning_content });
  if (m.content) out.push({ type: 'text', text: m.content });
  for (const tc of m.tool_calls ?? []) out.push({ type: 'tool_call', call: { id: tc.id, name: tc.function.name, arguments: tc.function.arguments ?? '' } });
  if (c.usage) out.push({ type: 'usage', inputTokens: c.usage.prompt_tokens ?? 0, outputTokens: c.usage.completion_tokens ?? 0 });
  const reason = m.tool_calls?.length ? 'tool_calls' : finishOf(choice?.finish_reason ?? 'stop');
  out.push({ type: 'finish', reason });
  return out;
}

/** OpenAI chat-completions streaming: OpenAI, Ollama, vLLM, LM Studio, llama.cpp, OpenRouter… */
export class OpenAIProvider extends HttpProvider implements Provider {
  private headers(): Record<string, string> {
    return { ...(this.cfg.apiKey ? { authorization: `Bearer ${this.cfg.apiKey}` } : {}), ...this.cfg.headers };
  }

  private url(path: string): string {
    return `${this.cfg.baseUrl.replace(/\/+$/, '')}${path}`;
  }

  async *stream(req: ChatRequest, signal: AbortSignal): AsyncGenerator<ProviderEvent[], void, undefined> {
    const body: Record<string, unknown> = {
      model: this.cfg.model,
      messages: toOpenAIMessages(req.system, req.messages),
      stream: true,
      stream_options: { include_usage: true },
    };
    if (req.tools.length) {
      body.tools = req.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.inputSchema } }));
    }
    if (this.cfg.maxTokens) body.max_tokens = this.cfg.maxTokens;
    if (this.cfg.temperature !== undefined) body.temperature = this.cfg.temperature;
    if (this.cfg.reasoningEffort) body.reasoning_effort = this.cfg.reasoningEffort;
    const res = await send(this.pool, { url: this.url('/chat/completions'), method: 'POST', headers: this.headers(), body, signal, ctx: this.ctx });
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('application/json')) {
      // A server that ignores `stream: true` answers with one whole completion.
      yield wholeCompletion((await res.body.json()) as Completion);
      return;
    }

    const calls = new Map<number, ToolCallPart>();
    let finish: FinishReason | undefined;
    let usage: ProviderEvent | undefined;
    let done = false;
    for await (const batch of sseBatches(res.body, signal, this.ctx)) {
      const out: ProviderEvent[] = [];
      for (const ev of batch) {
        if (ev.data === '[DONE]') {
          done = true;
          continue;
        }
        let chunk: Chunk;
        try {
          chunk = JSON.parse(ev.data) as Chunk;
        } catch {
          continue; // keep-alive comments or junk between events
        }
        if (chunk.error) throw streamError(chunk.error.type ?? chunk.error.code, chunk.error.message, this.ctx);
        if (chunk.usage) usage = { type: 'usage', inputTokens: chunk.usage.prompt_tokens ?? 0, outputTokens: chunk.usage.completion_tokens ?? 0 };
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        const d = choice.delta ?? {};
        const thought = d.reasoning_content ?? d.reasoning;
        if (thought) pushEvent(out, { type: 'thinking', text: thought });
        if (d.content) pushEvent(out, { type: 'text', text: d.content });
        if (d.refusal) pushEvent(out, { type: 'text', text: d.refusal });
        for (const tc of d.tool_calls ?? []) {
          // Some servers omit `index`: a new id starts a new call, pieces without one extend the last.
          const index = tc.index ?? (tc.id || calls.size === 0 ? calls.size : calls.size - 1);
          let call = calls.get(index);
          if (!call) calls.set(index, (call = { id: tc.id ?? `call_${index}`, name: '', arguments: '' }));
          if (tc.id) call.id = tc.id;
          if (tc.function?.name) call.name += tc.function.name;
          if (tc.function?.arguments) call.arguments += tc.function.arguments;
        }
        if (choice.finish_reason) finish = d.refusal ? 'refusal' : finishOf(choice.finish_reason);
      }
      if (out.length) yield out;
      if (done) break;
    }
    // Some servers omit [DONE] but always send a finish reason; with neither, the stream was cut.
    if (!done && !finish) throw streamCut(this.ctx);
    const tail: ProviderEvent[] = [...[...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, call]) => ({ type: 'tool_call' as const, call }))];
    if (usage) tail.push(usage);
    tail.push({ type: 'finish', reason: calls.size && finish !== 'length' ? 'tool_calls' : finish ?? 'stop' });
    yield tail;
  }

  async listModels(signal: AbortSignal): Promise<ModelList> {
    const res = await send(this.pool, { url: this.url('/models'), method: 'GET', headers: this.headers(), signal, ctx: this.ctx });
    const json = (await res.body.json()) as { data?: { id?: string }[] };
    return { models: (json.data ?? []).map((m) => String(m.id ?? '')).filter(Boolean) };
  }
}
