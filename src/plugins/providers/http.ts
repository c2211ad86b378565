import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Agent, Dispatcher } from 'undici';
import type { Disposable } from '../../host/disposable.js';
import { isAbortError } from '../../host/errors.js';
import { connectionError, httpError, streamCut, type ErrorContext } from './errors.js';

/**
 * undici loads with the first provider call: ~20 MB that a daemon which has not talked to a
 * model yet (or only serves tools) does without.
 */
let undici: Promise<typeof import('undici')> | undefined;
const loadUndici = () => (undici ??= import('undici'));

/**
 * undici Agents keyed by origin: the only thing sessions share. Each session's provider holds
 * its own config (model, key, headers); connections to one origin are reused across them.
 */
export class AgentPool implements Disposable {
  private readonly agents = new Map<string, Agent>();

  async get(url: string): Promise<Agent> {
    const origin = new URL(url).origin;
    let agent = this.agents.get(origin);
    if (!agent) {
      const { Agent } = await loadUndici();
      // Long bodies (minutes of streaming) must not trip the body timeout; abort does the stopping.
      agent = this.agents.get(origin) ?? new Agent({ keepAliveTimeout: 30_000, bodyTimeout: 0, headersTimeout: 120_000, connections: 16 });
      this.agents.set(origin, agent);
    }
    return agent;
  }

  origins(): string[] {
    return [...this.agents.keys()];
  }

  async dispose(): Promise<void> {
    const all = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(all.map((a) => a.destroy().catch(() => undefined)));
  }
}

export interface HttpCall {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: unknown;
  signal: AbortSignal;
  ctx: ErrorContext;
}

/** Sends a request; maps connection failures and non-2xx statuses to clear RpcErrors. */
export async function send(pool: AgentPool, call: HttpCall): Promise<Dispatcher.ResponseData> {
  let res: Dispatcher.ResponseData;
  try {
    const { request } = await loadUndici();
    res = await request(call.url, {
      method: call.method,
      headers: call.body === undefined ? call.headers : { 'content-type': 'application/json', ...call.headers },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal: call.signal,
      dispatcher: await pool.get(call.url),
    });
  } catch (err) {
    if (isAbortError(err) || call.signal.aborted) throw abortError();
    throw connectionError(err, call.ctx);
  }
  if (res.statusCode < 200 || res.statusCode >= 300) {
    let text = '';
    try {
      text = await res.body.text();
    } catch {
      /* the status says enough */
    }
    throw httpError(res.statusCode, res.headers, text, call.ctx);
  }
  return res;
}

/**
 * Parses an SSE body incrementally and yields the events of each network read together, so a
 * fast stream costs one turn of the loop per read rather than per token.
 */
export async function* sseBatches(
  body: AsyncIterable<Buffer | Uint8Array>,
  signal: AbortSignal,
  ctx: ErrorContext,
): AsyncGenerator<EventSourceMessage[], void, undefined> {
  let batch: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => batch.push(e) });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (batch.length) {
        const out = batch;
        batch = [];
        yield out;
      }
    }
  } catch (err) {
    if (signal.aborted || isAbortError(err)) throw abortError();
    throw streamCut(ctx);
  }
  parser.feed(decoder.decode());
  if (batch.length) yield batch;
}

export function abortError(): Error {
  return Object.assign(new Error('the request was aborted'), { name: 'AbortError' });
}
