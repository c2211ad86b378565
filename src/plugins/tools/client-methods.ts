import { z } from 'zod';
import { defineClientRequest } from '../../host/method.js';

/**
 * The ACP requests the tools send to a client that declared `fs` / `terminal` capabilities in
 * `initialize`. Answers are validated (`requestClient`): a client answering in another shape gets
 * a tool error naming the field, never a crash in a tool.
 */
const Meta = z.record(z.string(), z.unknown()).nullable().optional();
/** Acknowledgements: ACP answers `{}` (or `{_meta}`); some clients answer null. */
const Ack = z.object({ _meta: Meta }).loose().nullable();
const ExitStatus = z.object({ exitCode: z.number().int().nullable().optional(), signal: z.string().nullable().optional() }).loose();
const SessionId = z.string();

export const FsReadTextFile = defineClientRequest({
  name: 'fs/read_text_file',
  description: "ACP: reads a text file through the client (the editor's buffer, unsaved edits included). `line` is 1-based; `limit` a line count.",
  params: z.object({ sessionId: SessionId, path: z.string(), line: z.number().int().min(1).optional(), limit: z.number().int().min(1).optional() }),
  result: z.object({ content: z.string(), _meta: Meta }).loose(),
});

export const FsWriteTextFile = defineClientRequest({
  name: 'fs/write_text_file',
  description: 'ACP: writes a whole text file through the client.',
  params: z.object({ sessionId: SessionId, path: z.string(), content: z.string() }),
  result: Ack,
});

export const TerminalCreate = defineClientRequest({
  name: 'terminal/create',
  description: "ACP: runs a command in the client's terminal; answers with its id at once.",
  params: z.object({
    sessionId: SessionId,
    command: z.string(),
    args: z.array(z.string()).optional(),
    cwd: z.string().optional(),
    env: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    outputByteLimit: z.number().int().optional(),
  }),
  result: z.object({ terminalId: z.string(), _meta: Meta }).loose(),
});

export const TerminalOutput = defineClientRequest({
  name: 'terminal/output',
  description: "ACP: the terminal's output so far, whether it was truncated, and its exit status once it exited.",
  params: z.object({ sessionId: SessionId, terminalId: z.string() }),
  result: z.object({ output: z.string(), truncated: z.boolean(), exitStatus: ExitStatus.nullable().optional(), _meta: Meta }).loose(),
});

export const TerminalWaitForExit = defineClientRequest({
  name: 'terminal/wait_for_exit',
  description: 'ACP: answers when the command exits, with its exit code or signal.',
  params: z.object({ sessionId: SessionId, terminalId: z.string() }),
  result: ExitStatus,
});

export const TerminalKill = defineClientRequest({
  name: 'terminal/kill',
  description: 'ACP: kills the command (timeout or cancel); the terminal stays until released.',
  params: z.object({ sessionId: SessionId, terminalId: z.string() }),
  result: Ack,
});

export const TerminalRelease = defineClientRequest({
  name: 'terminal/release',
  description: 'ACP: kills the command if it still runs and frees the terminal.',
  params: z.object({ sessionId: SessionId, terminalId: z.string() }),
  result: Ack,
});

export const toolClientMethods = [FsReadTextFile, FsWriteTextFile, TerminalCreate, TerminalOutput, TerminalWaitForExit, TerminalKill, TerminalRelease];
