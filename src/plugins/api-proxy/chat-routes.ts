import type { RawEndpoint } from '../../host/endpoints.js';
import { RpcError, toRpcError } from '../../host/errors.js';
import { sseEventName } from '../sessions/contract.js';
import type { ChatTurnResult, ChatTurns } from './contract.js';
import { z } from 'zod';
import { ApiChatBody, ApiChatResult, CancelResult, TaskFrame, checkMessageCount, parseWith, readJson } from './schemas.js';
import type { ChatTask, TaskStore } from './task-store.js';

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' };
const encoder = new TextEncoder();

/** The usage block of the legacy and OpenAI surfaces. */
export function usageOf(r: ChatTurnResult) {
  return { prompt_tokens: r.usage.inputTokens, completion_tokens: r.usage.outputTokens, total_tokens: r.usage.inputTokens + r.usage.outputTokens };
}

const resultBody = (r: ChatTurnResult): z.input<typeof ApiChatResult> => ({ reply: r.reply, session_id: r.sessionId, stop_reason: r.stopReason, usage: usageOf(r) });

/**
 * A task's frames from `from` on, then live until it finishes: pulled, so a slow reader holds no
 * copy of the buffer, and the client going away only stops this reader, never the task.
 */
export function taskStream(task: ChatTask, from: number, heartbeatMs: number): ReadableStream<Uint8Array> {
  let cursor = from;
  const gone = new AbortController();
  return new ReadableStream<Uint8Array>(
    {
      async pull(ctl) {
        for (;;) {
          if (cursor < task.frames.length) {
            const end = Math.min(task.frames.length, cursor + 512);
            ctl.enqueue(encoder.encode(task.frames.slice(cursor, end).join('')));
            cursor = end;
            return;
          }
          if (task.finished) return ctl.close();
          let timer: NodeJS.Timeout | undefined;
          const beat = new Promise<'beat'>((r) => (timer = setTimeout(() => r('beat'), heartbeatMs)));
          const why = await Promise.race([task.changed(gone.signal), beat]);
          clearTimeout(timer);
          if (gone.signal.aborted) return;
          if (why === 'beat') {
            ctl.enqueue(encoder.encode(': heartbeat\n\n'));
            return;
          }
        }
      },
      cancel() {
        gone.abort();
      },
    },
    { highWaterMark: 0 },
  );
}

/** Where a resume starts: `?offset=N` (that event on), else `Last-Event-ID: K` (after K), else 0. */
function resumePoint(request: Request, task: ChatTask): number {
  const url = new URL(request.url);
  const q = url.searchParams.get('offset');
  const last = request.headers.get('last-event-id');
  let from = 0;
  if (q !== null) {
    if (!/^\d+$/.test(q)) throw RpcError.invalidParams(`offset must be a non-negative integer; got "${q}"`);
    from = Number(q);
  } else if (last !== null && last.trim() !== '') {
    if (!/^\d+$/.test(last.trim())) throw RpcError.invalidParams(`Last-Event-ID must be an event offset; got "${last}"`);
    from = Number(last.trim()) + 1;
  }
  if (task.finished && from > task.frames.length) {
    throw RpcError.invalidParams(`offset ${from} is past the end of task ${task.id}, which has ${task.frames.length} events (offsets 0–${task.frames.length - 1})`, {
      offset: from,
      events: task.frames.length,
    });
  }
  return from;
}

export interface ChatRouteDeps {
  turns: () => ChatTurns;
  tasks: TaskStore;
  heartbeatMs: number;
}

/** The task id of a `/api/chat/…/{task_id}` path. */
function taskIdOf(request: Request, prefix: string): string {
  const id = decodeURIComponent(new URL(request.url).pathname.slice(prefix.length));
  if (!id || id.includes('/')) throw RpcError.invalidParams(`give the task id: ${prefix}{task_id}`);
  return id;
}

/** `POST /api/chat`, `GET /api/chat/resume/{task_id}`, `POST /api/chat/cancel/{task_id}`. */
export function chatEndpoints(deps: ChatRouteDeps): RawEndpoint[] {
  const chat: RawEndpoint = {
    path: '/api/chat',
    methods: ['POST'],
    description: `chat (legacy browser proxy): {messages, stream?, session_id?, profile?}, at most 500 messages (413); JSON {reply, session_id, usage} or, streaming, an SSE task (X-Task-Id; first event "task")`,
    maxBodyBytes: 32 * 1024 * 1024,
    doc: {
      request: { contentType: 'application/json', schema: ApiChatBody },
      responses: {
        '200': { description: 'not streaming: the reply; streaming: the task\'s SSE frames (header X-Task-Id)', contentType: 'application/json', schema: ApiChatResult },
        '413': { description: 'more than 500 messages (data.limit)' },
      },
    },
    async handle(request) {
      const raw = await readJson(request, 'POST /api/chat');
      checkMessageCount(raw);
      const body = parseWith(ApiChatBody, raw, 'POST /api/chat');
      const turns = deps.turns();
      const opened = await turns.open({ sessionId: body.session_id, profile: body.profile, messages: body.messages });
      if (!body.stream) {
        // The turn is not the request's: a client that goes away does not cancel it.
        const turn = await turns.run(opened);
        return Response.json(resultBody(await turn.done));
      }
      const task = deps.tasks.create();
      task.push('task', { task_id: task.id, session_id: opened.sessionId });
      let turn;
      try {
        turn = await turns.run(opened, (e) => task.push(sseEventName(e), e));
      } catch (err) {
        deps.tasks.discard(task);
        throw err;
      }
      task.cancel = turn.cancel;
      turn.done.then(
        (r) => task.push('done', resultBody(r)),
        (err) => task.push('error', toRpcError(err).toJSON()),
      ).finally(() => task.finish());
      return new Response(taskStream(task, 0, deps.heartbeatMs), {
        headers: { ...SSE_HEADERS, 'x-task-id': task.id, 'x-session-id': opened.sessionId },
      });
    },
  };
  const resume: RawEndpoint = {
    path: '/api/chat/resume/',
    methods: ['GET'],
    description: '?offset=N (or Last-Event-ID): a chat task\'s events from offset N, then live; 404 says unknown or evicted',
    doc: {
      path: '/api/chat/resume/{task_id}',
      parameters: [
        { name: 'offset', in: 'query', description: 'the first event offset to send (default 0)' },
        { name: 'Last-Event-ID', in: 'header', description: 'the last offset received: resume after it' },
      ],
      responses: { '200': { description: 'SSE frames from the offset, then live', contentType: 'text/event-stream', schema: TaskFrame }, '404': { description: 'unknown or evicted task (data.reason)' } },
    },
    async handle(request) {
      const task = deps.tasks.require(taskIdOf(request, '/api/chat/resume/'));
      const from = resumePoint(request, task);
      return new Response(taskStream(task, from, deps.heartbeatMs), { headers: { ...SSE_HEADERS, 'x-task-id': task.id } });
    },
  };
  const cancel: RawEndpoint = {
    path: '/api/chat/cancel/',
    methods: ['POST'],
    description: 'cancels the task\'s turn (its stream ends with done, stop_reason "cancelled")',
    doc: { path: '/api/chat/cancel/{task_id}', responses: { '200': { description: 'whether a running turn was cancelled', contentType: 'application/json', schema: CancelResult } } },
    async handle(request) {
      const task = deps.tasks.require(taskIdOf(request, '/api/chat/cancel/'));
      const cancelled = !task.finished && task.cancel ? await task.cancel() : false;
      return Response.json({ task_id: task.id, cancelled, finished: task.finished } satisfies z.input<typeof CancelResult>);
    },
  };
  return [chat, resume, cancel];
}
