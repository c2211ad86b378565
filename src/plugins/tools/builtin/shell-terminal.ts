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
  const { terminalId } = (await client.request(
    'terminal/create',
    { ...base, command: '/bin/sh', args: ['-c', command], cwd, outputByteLimit: SHELL_OUTPUT_CAP },
    ctx.signal,
  )) as { terminalId: string };
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
      exit = (await client.request('terminal/wait_for_exit', { ...base, terminalId }, stop.signal)) as ExitStatus;
    } catch (err) {
      if (!stop.signal.aborted) throw err;
      await client.request('terminal/kill', { ...base, terminalId }).catch(() => undefined);
    }
    const out = (await client.request('terminal/output', { ...base, terminalId })) as { output: string; truncated: boolean; exitStatus?: ExitStatus | null };
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
    await client.request('terminal/release', { ...base, terminalId }).catch(() => undefined);
  }
}
