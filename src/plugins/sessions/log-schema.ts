import { z } from 'zod';
import type { ChatMessage } from '../providers/contract.js';
import { SessionEventPayload } from './contract.js';
import type { LogRecord, SessionMeta } from './log.js';
import { ModeId } from './schemas.js';

/**
 * The records of a session log, checked line by line on load: a log is a file on disk that a
 * person, another version or a crash may have written, and one record of the wrong shape must
 * cost that record, not the session (or every later turn). Objects stay loose so fields a newer
 * version adds survive; the declared types are checked against the log's own (`z.ZodType<…>`).
 * Built on the first log read, not at start-up: a start reads no log, and these schemas cost
 * a few milliseconds to build.
 */
let built: z.ZodType<LogRecord> | undefined;

/** The schema of one log line's record (built once, on first use). */
export function logRecordSchema(): z.ZodType<LogRecord> {
  return (built ??= buildLogRecordSchema());
}

function buildLogRecordSchema(): z.ZodType<LogRecord> {
  const Block = z.object({ type: z.string() }).catchall(z.unknown());

  const ToolCallPart = z.object({ id: z.string(), name: z.string(), arguments: z.string() });

  const ChatMessageSchema: z.ZodType<ChatMessage> = z.discriminatedUnion('role', [
    z.object({ role: z.literal('user'), content: z.array(Block) }).loose(),
    z
      .object({
        role: z.literal('assistant'),
        text: z.string(),
        thinking: z.string().optional(),
        thinkingSignature: z.string().optional(),
        toolCalls: z.array(ToolCallPart).optional(),
      })
      .loose(),
    z.object({ role: z.literal('tool'), toolCallId: z.string(), name: z.string(), content: z.string(), isError: z.boolean().optional() }).loose(),
  ]);

  const McpServers = z.array(z.record(z.string(), z.unknown()));

  const SessionMetaSchema: z.ZodType<SessionMeta> = z
    .object({
      sessionId: z.string().min(1),
      workspace: z.string().min(1),
      profile: z.string(),
      mode: ModeId,
      systemPrompt: z.string().nullable(),
      title: z.string().nullable(),
      mcpServers: McpServers,
      createdAt: z.string(),
      forkedFrom: z.string().optional(),
    })
    .loose();

  const Patch = z
    .object({
      mode: ModeId.optional(),
      systemPrompt: z.string().nullable().optional(),
      title: z.string().nullable().optional(),
      mcpServers: McpServers.optional(),
    })
    .loose();

  return z.discriminatedUnion('k', [
    // `secrets` names the side file that holds the mcpServers values the log shows redacted.
    z.object({ k: z.literal('meta'), meta: SessionMetaSchema, secrets: z.string().optional() }),
    z.object({ k: z.literal('msg'), m: ChatMessageSchema, at: z.string() }),
    z
      .object({
        k: z.literal('ev'),
        e: SessionEventPayload.refine((e) => e.seq > 0, { message: 'seq must be positive', path: ['seq'] }),
        // A compacted event: the first seq it stands for (its own seq is the last).
        from: z.number().int().positive().optional(),
      })
      .refine((r) => r.from === undefined || r.from <= r.e.seq, { message: 'from must not be after seq', path: ['from'] }),
    z.object({ k: z.literal('set'), patch: Patch, at: z.string(), secrets: z.string().optional() }),
    z.object({ k: z.literal('clear'), at: z.string() }),
  ]);
}
