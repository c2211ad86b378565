/** The two wire dialects of the fake provider servers (see fake-provider.ts). */
import type http from 'node:http';
import type { Step } from './fake-provider.js';

/** How one provider dialect encodes steps. */
export interface Dialect {
  name: 'openai' | 'anthropic';
  basePath: string;
  streamPath: string;
  keyOf(h: http.IncomingHttpHeaders): string | undefined;
  errorBody(status: number, message: string, type?: string): object;
  /** The SSE frames of a step (for hang and cut: those sent before hanging or cutting). */
  frames(step: Step): string[];
}

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

function split(text: string, pieces: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / pieces));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [''];
}

const argText = (a: unknown) => (typeof a === 'string' ? a : JSON.stringify(a));

export const openai: Dialect = {
  name: 'openai',
  basePath: '/v1',
  streamPath: '/v1/chat/completions',
  keyOf: (h) => h.authorization?.replace(/^Bearer /, ''),
  errorBody: (status, message, type) => ({
    error: { message, type: type ?? (status === 401 ? 'invalid_request_error' : status === 429 ? 'requests' : 'server_error'), param: null, code: status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null },
  }),
  frames(step) {
    const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1763800000, model: 'fake-model' };
    const chunk = (delta: object, finish: string | null = null) => sse({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    const usage = (i: number, o: number) => sse({ ...base, choices: [], usage: { prompt_tokens: i, completion_tokens: o, total_tokens: i + o } });
    const role = chunk({ role: 'assistant', content: '' });
    switch (step.type) {
      case 'text': {
        const f = step.finish === 'refusal' ? 'content_filter' : step.finish ?? 'stop';
        return [
          role,
          ...(step.thinking ?? []).map((t) => chunk({ content: null, reasoning_content: t })),
          ...step.chunks.map((t) => chunk({ content: t })),
          chunk({}, f),
          usage(step.usage?.input ?? 10, step.usage?.output ?? step.chunks.length),
          sse('[DONE]'),
        ];
      }
      case 'tools': {
        const out = [role, ...(step.thinking ?? []).map((t) => chunk({ reasoning_content: t })), ...(step.text ?? []).map((t) => chunk({ content: t }))];
        step.calls.forEach((c, index) => {
          out.push(chunk({ tool_calls: [{ index, id: c.id ?? `call_fake_${index}`, type: 'function', function: { name: c.name, arguments: '' } }] }));
          for (const piece of split(argText(c.args), step.pieces ?? 3)) out.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
        });
        out.push(chunk({}, 'tool_calls'), usage(20, 10), sse('[DONE]'));
        return out;
      }
      case 'hang':
      case 'cut':
        return [role, ...(step.chunks ?? []).map((t) => chunk({ content: t }))];
      case 'tokens': {
        const out = [role];
        const tok = step.token ?? 'tok ';
        for (let i = 0; i < step.count; i++) out.push(chunk({ content: tok }));
        out.push(chunk({}, 'stop'), usage(5, step.count), sse('[DONE]'));
        return out;
      }
      default:
        return [];
    }
  },
};

export const anthropic: Dialect = {
  name: 'anthropic',
  basePath: '',
  streamPath: '/v1/messages',
  keyOf: (h) => (Array.isArray(h['x-api-key']) ? h['x-api-key'][0] : h['x-api-key']),
  errorBody: (status, message, type) => ({
    type: 'error',
    error: { type: type ?? (status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : 'api_error'), message },
  }),
  frames(step) {
    const start = sse({ type: 'message_start', message: { id: 'msg_fake', type: 'message', role: 'assistant', content: [], model: 'fake-model', stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } } }, 'message_start');
    const blockStart = (index: number, block: object) => sse({ type: 'content_block_start', index, content_block: block }, 'content_block_start');
    const delta = (index: number, d: object) => sse({ type: 'content_block_delta', index, delta: d }, 'content_block_delta');
    const stop = (index: number) => sse({ type: 'content_block_stop', index }, 'content_block_stop');
    const end = (reason: string, output: number) => [
      sse({ type: 'message_delta', delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: output } }, 'message_delta'),
      sse({ type: 'message_stop' }, 'message_stop'),
    ];
    const thinkingBlock = (index: number, parts: string[]) => [
      blockStart(index, { type: 'thinking', thinking: '', signature: '' }),
      ...parts.map((t) => delta(index, { type: 'thinking_delta', thinking: t })),
      delta(index, { type: 'signature_delta', signature: 'sig_fake' }),
      stop(index),
    ];
    const textBlock = (index: number, parts: string[]) => [blockStart(index, { type: 'text', text: '' }), ...parts.map((t) => delta(index, { type: 'text_delta', text: t })), stop(index)];
    switch (step.type) {
      case 'text': {
        let i = 0;
        const out = [start];
        if (step.thinking?.length) out.push(...thinkingBlock(i++, step.thinking));
        out.push(...textBlock(i++, step.chunks));
        const reason = step.finish === 'length' ? 'max_tokens' : step.finish === 'refusal' ? 'refusal' : 'end_turn';
        return [...out, ...end(reason, step.usage?.output ?? step.chunks.length)];
      }
      case 'tools': {
        let i = 0;
        const out = [start];
        if (step.thinking?.length) out.push(...thinkingBlock(i++, step.thinking));
        if (step.text?.length) out.push(...textBlock(i++, step.text));
        step.calls.forEach((c, n) => {
          const index = i++;
          out.push(blockStart(index, { type: 'tool_use', id: c.id ?? `toolu_fake_${n}`, name: c.name, input: {} }));
          for (const piece of split(argText(c.args), step.pieces ?? 3)) out.push(delta(index, { type: 'input_json_delta', partial_json: piece }));
          out.push(stop(index));
        });
        return [...out, ...end('tool_use', 10)];
      }
      case 'hang':
      case 'cut':
        return [start, blockStart(0, { type: 'text', text: '' }), ...(step.chunks ?? []).map((t) => delta(0, { type: 'text_delta', text: t }))];
      case 'tokens': {
        const out = [start, blockStart(0, { type: 'text', text: '' })];
        const tok = step.token ?? 'tok ';
        for (let i = 0; i < step.count; i++) out.push(delta(0, { type: 'text_delta', text: tok }));
        return [...out, stop(0), ...end('end_turn', step.count)];
      }
      default:
        return [];
    }
  },
};

