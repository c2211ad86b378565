import { z } from 'zod';
import { describeIssues } from '../../host/dispatcher.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { MAX_CHAT_MESSAGES } from './contract.js';

/** Message content as chat clients send it: a string, or OpenAI-style parts of which the text ones count. */
export const MessageContent = z
  .union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).loose())])
  .transform((c) => (typeof c === 'string' ? c : c.filter((p) => p.type === 'text').map((p) => p.text ?? '').join('')));

/** `POST /api/chat`'s body (the older browser proxy's shape, snake_case). */
export const ApiChatBody = z.object({
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: MessageContent })),
  stream: z.boolean().optional(),
  session_id: z.string().min(1).max(200).optional(),
  profile: z.string().optional(),
});

/** `POST /api/workspace/save`'s body. */
export const SessionRef = z.object({ session_id: z.string().min(1).max(200) });

/** Reads a JSON body; malformed JSON is 400 (-32700). Validate it with `parseWith`. */
export async function readJson(request: Request, what: string): Promise<unknown> {
  const text = await request.text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RpcError(ErrorCodes.ParseError, `malformed JSON body of ${what}: ${(err as Error).message}`);
  }
}

/** A JSON body validated by `schema`: malformed 400 (-32700), wrong shape 400 (-32602). */
export async function jsonBody<T extends z.ZodType>(request: Request, schema: T, what: string): Promise<z.output<T>> {
  return parseWith(schema, await readJson(request, what), what);
}

export function parseWith<T extends z.ZodType>(schema: T, raw: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw RpcError.invalidParams(`invalid body of ${what}: ${describeIssues(parsed.error.issues)}`, { issues: parsed.error.issues });
  return parsed.data;
}

/** 413 for a conversation longer than the limit, before anything else is done with it. */
export function checkMessageCount(raw: unknown): void {
  const messages = (raw as { messages?: unknown } | null)?.messages;
  if (Array.isArray(messages) && messages.length > MAX_CHAT_MESSAGES) {
    throw new RpcError(ErrorCodes.PayloadTooLarge, `too many messages: ${messages.length}, over the limit of ${MAX_CHAT_MESSAGES} per request`, {
      limit: MAX_CHAT_MESSAGES,
      count: messages.length,
    });
  }
}

/** Token counts of a whole turn, in OpenAI's names (the legacy proxy forwarded OpenAI's usage). */
export const Usage = z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() });

/** `POST /api/chat` without streaming; also the `done` event of a streamed task. */
export const ApiChatResult = z.object({
  reply: z.string(),
  session_id: z.string(),
  stop_reason: z.enum(['end_turn', 'max_tokens', 'max_turn_requests', 'refusal', 'cancelled']),
  usage: Usage,
});

/** One SSE frame of a chat task (OpenAPI has no SSE item schema: described as an object). */
export const TaskFrame = z.object({
  id: z.string().describe('the event offset in its task (0 is the `task` event): resume with ?offset= or Last-Event-ID'),
  event: z.string().describe('`task` (first: {task_id, session_id}), the session event kinds (agent_message_chunk, tool_call, permission…), then `done` (the result) or `error` (e.g. the truncation past SWITCHBOARD_STREAM_CAP)'),
  data: z.unknown(),
});

export const CancelResult = z.object({ task_id: z.string(), cancelled: z.boolean(), finished: z.boolean() });
export const UploadResult = z.object({ session_id: z.string(), files: z.array(z.object({ path: z.string(), size: z.number().int() })) });
export const LoadResult = z.object({ session_id: z.string(), files: z.number().int(), bytes: z.number().int() });
