import { randomUUID } from 'node:crypto';
import type { RawEndpoint } from '../../host/endpoints.js';
import { RpcError, toRpcError } from '../../host/errors.js';
import { usageOf } from '../api-proxy/chat-routes.js';
import type { ChatTextMessage, ChatTurns } from '../api-proxy/contract.js';
import { checkMessageCount, parseWith, readJson } from '../api-proxy/schemas.js';
import type { ProfileService } from '../profiles/contract.js';
import type { z } from 'zod';
import { ChatCompletion, ChatCompletionChunk, CompletionRequest, FINISH_REASON } from './schemas.js';

const encoder = new TextEncoder();
const SESSION_HEADER = 'x-switchboard-session';

/** The conversation in Switchboard's terms; client-side tools are refused with the reason. */
function conversationOf(req: CompletionRequest): ChatTextMessage[] {
  if (req.tools?.length || req.functions?.length) {
    throw RpcError.invalidParams('client-side tools are not supported: the Switchboard agent runs its own tools (files, shell, MCP) inside the daemon; send no `tools`');
  }
  return req.messages.map((m, i) => {
    if (m.role === 'tool' || m.role === 'function' || m.tool_calls?.length) {
      throw RpcError.invalidParams(`messages.${i}: tool messages and tool_calls are not supported; the agent's tool calls happen inside Switchboard`);
    }
    return { role: m.role === 'developer' ? 'system' : m.role, content: m.content ?? '' } as ChatTextMessage;
  });
}

export interface CompletionDeps {
  turns: () => ChatTurns;
  profiles: () => ProfileService;
}

/** `POST /v1/chat/completions`: a Switchboard agent turn as an OpenAI chat completion (JSON or SSE chunks). */
export function completionsEndpoint(deps: CompletionDeps): RawEndpoint {
  return {
    path: '/v1/chat/completions',
    methods: ['POST'],
    description:
      'OpenAI-compatible chat completions over a Switchboard agent (model = profile name; stream with [DONE], usage with stream_options.include_usage); X-Switchboard-Session reuses a session',
    maxBodyBytes: 32 * 1024 * 1024,
    doc: {
      parameters: [{ name: 'X-Switchboard-Session', in: 'header', description: 'reuse this session (its last user message is prompted); answered in the same header' }],
      request: { contentType: 'application/json', schema: CompletionRequest },
      responses: {
        '200': { description: 'a chat.completion, or with stream: SSE `data:` chunks (chat.completion.chunk) ending with `data: [DONE]`', contentType: 'application/json', schema: ChatCompletion },
        '404': { description: 'the model is not a profile (GET /v1/models), or the session is unknown' },
        '413': { description: 'more than 500 messages' },
      },
    },
    async handle(request) {
      const raw = await readJson(request, 'POST /v1/chat/completions');
      checkMessageCount(raw);
      const body = parseWith(CompletionRequest, raw, 'POST /v1/chat/completions');
      const messages = conversationOf(body);
      const sessionId = request.headers.get(SESSION_HEADER)?.trim() || undefined;
      if (!sessionId && !deps.profiles().has(body.model)) {
        throw RpcError.notFound(`model "${body.model}": a model is a Switchboard profile name; GET /v1/models lists them`, { model: body.model });
      }
      const turns = deps.turns();
      const opened = await turns.open({ sessionId, profile: body.model, messages });
      const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
      const created = Math.floor(Date.now() / 1000);
      const headers = { [SESSION_HEADER]: opened.sessionId };
      if (!body.stream) {
        const result = await (await turns.run(opened)).done;
        const completion: z.input<typeof ChatCompletion> = {
            id,
            object: 'chat.completion',
            created,
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: result.reply, refusal: null }, logprobs: null, finish_reason: FINISH_REASON[result.stopReason] ?? 'stop' }],
            usage: usageOf(result),
        };
        return Response.json(completion, { headers });
      }
      const includeUsage = body.stream_options?.include_usage === true;
      let ctl!: ReadableStreamDefaultController<Uint8Array>;
      let open = true;
      const send = (data: unknown) => {
        if (open) ctl.enqueue(encoder.encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`));
      };
      const chunk = (delta: { role?: 'assistant'; content?: string }, finish: 'stop' | 'length' | 'content_filter' | null): z.input<typeof ChatCompletionChunk> => ({
        id,
        object: 'chat.completion.chunk',
        created,
        model: body.model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        ...(includeUsage ? { usage: null } : {}),
      });
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          ctl = c;
        },
        // The client going away stops this stream only; the turn ends on its own (see README).
        cancel() {
          open = false;
        },
      });
      send(chunk({ role: 'assistant', content: '' }, null));
      const turn = await turns.run(opened, (e) => {
        if (e.type !== 'update' || e.update.sessionUpdate !== 'agent_message_chunk') return;
        const content = e.update.content as { type?: string; text?: string } | undefined;
        if (content?.type === 'text' && content.text) send(chunk({ content: content.text }, null));
      });
      turn.done
        .then(
          (r) => {
            send(chunk({}, FINISH_REASON[r.stopReason] ?? 'stop'));
            if (includeUsage) send({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: usageOf(r) } satisfies z.input<typeof ChatCompletionChunk>);
            send('[DONE]');
          },
          // OpenAI's own way of failing mid-stream: an `error` object in a data frame.
          (err) => send({ error: { ...toRpcError(err).toJSON(), type: 'switchboard_error' } }),
        )
        .finally(() => {
          if (open) ctl.close();
          open = false;
        });
      return new Response(stream, { headers: { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' } });
    },
  };
}
