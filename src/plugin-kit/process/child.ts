import type { ChildProcessWithoutNullStreams } from 'node:child_process';

/** Variables a plugin process inherits (as the MCP SDK does for stdio servers): no secrets. */
const INHERITED = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'SYSTEMROOT', 'PYTHONPATH', 'NODE_PATH'];

export interface ChildSpec {
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: Record<string, string>;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines it wrote to stderr (at most 10). */
  stderr: string[];
}

const TAIL_LINES = 10;

/** One run of a plugin process: its pipes, a tail of its stderr, and how it ended. */
export class PluginChild {
  readonly process: ChildProcessWithoutNullStreams;
  readonly exited: Promise<ExitInfo>;
  private tail: string[] = [];
  private partial = '';

  constructor(spec: ChildSpec, baseEnv: Readonly<Record<string, string | undefined>>, onStderrLine: (line: string) => void) {
    const env: Record<string, string> = {};
    for (const k of INHERITED) if (baseEnv[k] !== undefined) env[k] = baseEnv[k]!;
    const { spawn } = process.getBuiltinModule('node:child_process'); // on first use, not at start-up
    this.process = spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: { ...env, ...spec.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr.setEncoding('utf8');
    this.process.stderr.on('data', (d: string) => {
      const lines = (this.partial + d).split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) this.keep(l, onStderrLine);
    });
    this.exited = new Promise((resolve) => {
      // 'error' (ENOENT: no such command) comes instead of 'exit'.
      this.process.once('error', (err) => {
        this.keep(`${spec.command}: ${err.message}`, onStderrLine);
        resolve({ code: null, signal: null, stderr: this.tail });
      });
      this.process.once('close', (code, signal) => {
        if (this.partial.trim()) this.keep(this.partial, onStderrLine);
        resolve({ code, signal, stderr: this.tail });
      });
    });
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  private keep(line: string, sink: (l: string) => void): void {
    this.tail = [...this.tail, line.slice(0, 500)].slice(-TAIL_LINES);
    sink(line);
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Stops it: stdin closed, then SIGTERM after `graceMs`, then SIGKILL; resolves once it is gone. */
  async stop(graceMs = 1000): Promise<ExitInfo> {
    if (this.running) {
      this.process.stdin.end();
      if (!(await within(this.exited, graceMs))) {
        this.process.kill('SIGTERM');
        if (!(await within(this.exited, 2000))) this.process.kill('SIGKILL');
      }
    }
    return this.exited;
  }
}

async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true as const), t]);
  } finally {
    clearTimeout(timer);
  }
}

// The last line of defence against orphans: if the daemon exits without stopping its plugins
// (process.exit in a hurry), kill what is still running. 'exit' listeners must be synchronous.
const live = new Set<PluginChild>();
process.once('exit', () => {
  for (const c of live) if (c.running) c.process.kill('SIGKILL');
});
