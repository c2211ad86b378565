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
