import { requestClient } from '../../../host/client-calls.js';
import { TerminalCreate, TerminalKill, TerminalOutput, TerminalRelease, TerminalWaitForExit } from '../client-methods.js';
import type { ToolContext, ToolResult } from '../contract.js';
import { SHELL_OUTPUT_CAP, shellResult } from './shell.js';

interface ExitStatus {
  exitCode?: number | null;
  signal?: string | null;
}

/**
 * ACP `terminal/*`: the client runs the command in its own terminal (the user sees it live);
 * we create it, show it in the tool call, wait for exit (killing it on timeout or cancel),
 * read its output and release it.
 */
export async function runOnClientTerminal(command: string, cwd: string, timeoutMs: number, ctx: ToolContext): Promise<ToolResult> {
  const client = ctx.client!;
  const base = { sessionId: ctx.sessionId };
  const { terminalId } = await requestClient(
    client,
    TerminalCreate,
    { ...base, command: '/bin/sh', args: ['-c', command], cwd, outputByteLimit: SHELL_OUTPUT_CAP },
    ctx.signal,
  );
  ctx.progress({ content: [{ type: 'terminal', terminalId }] });
  let timedOut = false;
  const stop = new AbortController();
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, timeoutMs);
  const onAbort = () => stop.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    let exit: ExitStatus | undefined;
    try {
      exit = await requestClient(client, TerminalWaitForExit, { ...base, terminalId }, stop.signal);
    } catch (err) {
      if (!stop.signal.aborted) throw err;
      await requestClient(client, TerminalKill, { ...base, terminalId }).catch(() => undefined);
    }
    const out = await requestClient(client, TerminalOutput, { ...base, terminalId });
    const status = exit ?? out.exitStatus ?? {};
    const res = shellResult(out.output, status.exitCode ?? null, status.signal ?? null, {
      timedOut,
      aborted: ctx.signal.aborted,
      truncated: out.truncated,
      timeoutMs,
      sandboxed: 'client',
    });
    return { ...res, content: [{ type: 'terminal', terminalId }, ...res.content] };
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
    await requestClient(client, TerminalRelease, { ...base, terminalId }).catch(() => undefined);
  }
}
