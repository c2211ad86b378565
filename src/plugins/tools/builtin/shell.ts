import { z } from 'zod';
import type { ToolContext, ToolResult } from '../contract.js';
import { clientTerminal } from '../client-fs.js';
import { isInside } from '../confine.js';
import { defaultFence, type Fence } from '../fence.js';
import { runProcess } from '../run-process.js';
import { bwrapArgs, nodeDir, type SandboxInfo } from '../sandbox.js';
import { escapeControl, textContent } from './common.js';
import { runOnClientTerminal } from './shell-terminal.js';

export const SHELL_OUTPUT_CAP = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_TIMEOUT_MS = 600_000;

const Params = z.object({
  command: z.string().min(1).describe('a shell command line, run with /bin/sh -c in the workspace'),
  timeoutMs: z.number().int().min(1).max(MAX_TIMEOUT_MS).optional().describe(`kill the command after this long; default ${DEFAULT_TIMEOUT_MS} ms`),
});
export type ShellArgs = z.infer<typeof Params>;

/**
 * The environment a command sees is an allow-list: what programs need to run and to print, never
 * the daemon's own variables (API keys, `GITHUB_PAT`, `DATABASE_URL`, session cookies, whatever
 * they are called). `SWITCHBOARD_SHELL_ENV` (comma-separated names, `*` globs) adds more.
 */
export const SHELL_ENV_ALLOW = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'LC_*', 'TERM', 'COLORTERM', 'NO_COLOR', 'TMPDIR', 'TZ'];

export function shellEnv(env: NodeJS.ProcessEnv, extra: readonly string[] = []): NodeJS.ProcessEnv {
  const allow = [...SHELL_ENV_ALLOW, ...extra].map((n) => new RegExp(`^${n.replace(/[^A-Za-z0-9_*]/g, '').replace(/\*/g, '[A-Za-z0-9_]*')}$`));
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith('SWITCHBOARD_') && allow.some((re) => re.test(k))) out[k] = v;
  return out;
}

/**
 * A shell call's title is its command, as ACP editors show an `execute` call: whitespace runs
 * collapsed (no spaces pushing a tail out of view), controls escaped, and a long one shortened
 * only with a note saying so (the approval's content and rawInput carry the whole command).
 */
export function commandTitle(command: string, max = 160): string {
  const flat = escapeControl(command.replace(/[ \t\n\r\f\v]+/g, ' ').trim());
  if (flat.length <= max) return flat;
  return `${flat.slice(0, max)}… (+${flat.length - max} more characters; the approval shows the whole command)`;
}

/**
 * Runs a command with cwd = the workspace: under bubblewrap when available (only the workspace
 * writable), in its own process group killed as a whole on cancel or timeout, output capped.
 * Routed to the ACP client's terminal when the client declared `terminal`.
 */
export function createShellTool(sandbox: () => SandboxInfo, env: NodeJS.ProcessEnv, fence: Fence = defaultFence()) {
  const extraEnv = (env.SWITCHBOARD_SHELL_ENV ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  return {
    name: 'shell',
    title: 'Run shell command',
    description: `Run a shell command (/bin/sh -c) in the workspace. Output (stdout and stderr) is capped at ${SHELL_OUTPUT_CAP / 1024} KiB; the command is killed after timeoutMs (default ${DEFAULT_TIMEOUT_MS / 1000} s).`,
    kind: 'execute' as const,
    parameters: Params,
    subject: (a: ShellArgs) => a.command,
    describe: (a: ShellArgs) => commandTitle(a.command),
    preview: (a: ShellArgs) => escapeControl(a.command),
    async execute(args: ShellArgs, ctx: ToolContext): Promise<ToolResult> {
      const cwd = (await fence.confine(ctx.workspace, '.')).abs;
      const timeoutMs = args.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      if (clientTerminal(ctx)) return runOnClientTerminal(args.command, cwd, timeoutMs, ctx);
      const box = sandbox();
      // additionalDirectories are writable roots like the workspace, but never one the fence hides
      // (a folder inside the daemon's home); the home inside any root is covered by an empty tmpfs.
      const writable = (ctx.additionalDirectories ?? []).filter((d) => !fence.isHidden(d));
      const hidden = fence.hidden.filter((h) => [cwd, ...writable].some((r) => isInside(r, h)));
      const [file, argv] = box.shell === 'bwrap' && box.bwrap ? [box.bwrap, bwrapArgs(cwd, args.command, { readOnly: nodeDir(), writable, hidden })] : ['/bin/sh', ['-c', args.command]];
      let lastProgress = 0;
      let seen = '';
      const res = await runProcess(file, argv, {
        cwd,
        env: shellEnv(env, extraEnv),
        timeoutMs,
        outputCap: SHELL_OUTPUT_CAP,
        signal: ctx.signal,
        onOutput: (chunk) => {
          // Stream a live view, at most every 250 ms, so a long build shows signs of life.
          if (seen.length < SHELL_OUTPUT_CAP) seen += chunk;
          const now = Date.now();
          if (now - lastProgress < 250) return;
          lastProgress = now;
          ctx.progress({ content: [textContent(seen.slice(-SHELL_OUTPUT_CAP))] });
        },
      });
      return shellResult(res.output, res.exitCode, res.signal, { timedOut: res.timedOut, aborted: res.aborted, truncated: res.truncated, timeoutMs, sandboxed: box.shell === 'bwrap' });
    },
  };
}

export function shellResult(
  output: string,
  exitCode: number | null,
  signal: string | null,
  f: { timedOut: boolean; aborted: boolean; truncated: boolean; timeoutMs: number; sandboxed: boolean | 'client' },
): ToolResult {
  const status = f.timedOut
    ? `killed after the ${f.timeoutMs} ms timeout`
    : f.aborted
      ? 'cancelled'
      : exitCode !== null
        ? `exit code ${exitCode}`
        : `killed by ${signal}`;
  const text = `${output}${output && !output.endsWith('\n') ? '\n' : ''}[${status}]`;
  return {
    content: [textContent(text)],
    modelText: text,
    isError: f.timedOut || f.aborted || exitCode !== 0,
    rawOutput: { exitCode, signal, timedOut: f.timedOut, truncated: f.truncated, sandbox: f.sandboxed === 'client' ? 'client-terminal' : f.sandboxed ? 'bwrap' : 'none' },
  };
}
