import { z } from 'zod';
import type { ToolContext, ToolResult } from '../contract.js';
import { clientTerminal } from '../client-fs.js';
import { confine } from '../confine.js';
import { runProcess } from '../run-process.js';
import { bwrapArgs, nodeDir, type SandboxInfo } from '../sandbox.js';
import { textContent } from './common.js';
import { runOnClientTerminal } from './shell-terminal.js';

export const SHELL_OUTPUT_CAP = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_TIMEOUT_MS = 600_000;

const Params = z.object({
  command: z.string().min(1).describe('a shell command line, run with /bin/sh -c in the workspace'),
  timeoutMs: z.number().int().min(1).max(MAX_TIMEOUT_MS).optional().describe(`kill the command after this long; default ${DEFAULT_TIMEOUT_MS} ms`),
});
export type ShellArgs = z.infer<typeof Params>;

/** Secrets in the daemon's environment must not be one `env` away from the model. */
const SECRET_ENV = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)|^SWITCHBOARD_/i;

export function shellEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !SECRET_ENV.test(k)) out[k] = v;
  return out;
}

/**
 * Runs a command with cwd = the workspace: under bubblewrap when available (only the workspace
 * writable), in its own process group killed as a whole on cancel or timeout, output capped.
 * Routed to the ACP client's terminal when the client declared `terminal`.
 */
export function createShellTool(sandbox: () => SandboxInfo, env: NodeJS.ProcessEnv) {
  return {
    name: 'shell',
    title: 'Run shell command',
    description: `Run a shell command (/bin/sh -c) in the workspace. Output (stdout and stderr) is capped at ${SHELL_OUTPUT_CAP / 1024} KiB; the command is killed after timeoutMs (default ${DEFAULT_TIMEOUT_MS / 1000} s).`,
    kind: 'execute' as const,
    parameters: Params,
    subject: (a: ShellArgs) => a.command,
    // ACP editors show an execute call's title as its command: the whole of it, on one line.
    describe: (a: ShellArgs) => a.command.replace(/\s+/g, ' ').trim(),
    async execute(args: ShellArgs, ctx: ToolContext): Promise<ToolResult> {
      const cwd = (await confine(ctx.workspace, '.')).abs;
      const timeoutMs = args.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      if (clientTerminal(ctx)) return runOnClientTerminal(args.command, cwd, timeoutMs, ctx);
      const box = sandbox();
      const [file, argv] = box.shell === 'bwrap' && box.bwrap ? [box.bwrap, bwrapArgs(cwd, args.command, nodeDir(), ctx.additionalDirectories)] : ['/bin/sh', ['-c', args.command]];
      let lastProgress = 0;
      let seen = '';
      const res = await runProcess(file, argv, {
        cwd,
        env: shellEnv(env),
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
