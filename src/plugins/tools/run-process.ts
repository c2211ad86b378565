
export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Bytes of output kept (head and tail); the middle is dropped and counted. */
  outputCap: number;
  signal: AbortSignal;
  onOutput?(chunk: string): void;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  output: string;
  truncated: boolean;
  timedOut: boolean;
  aborted: boolean;
}

/**
 * Runs a program in its own process group (detached) and kills the whole group on abort or
 * timeout, so `sleep 100 &` style grandchildren do not outlive the tool call. stdout and stderr
 * are merged in arrival order, capped at head + tail.
 */
export function runProcess(file: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal.aborted) {
      resolve({ exitCode: null, signal: null, output: '', truncated: false, timedOut: false, aborted: true });
      return;
    }
    // Loaded on the first command, not at start-up (see ripgrep.ts).
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = new CappedOutput(opts.outputCap);
    let timedOut = false;
    let aborted = false;
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    const onData = (b: Buffer) => {
      const s = b.toString('utf8');
      out.push(s);
      opts.onOutput?.(s);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    // The shell exited: its background children would hold the pipes open; end them now.
    child.on('exit', killGroup);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      resolve({ exitCode: code, signal: sig, output: out.text(), truncated: out.truncated, timedOut, aborted });
    });
  });
}

class CappedOutput {
  private head = '';
  private tail = '';
  private dropped = 0;
  constructor(private readonly cap: number) {}

  get truncated(): boolean {
    return this.dropped > 0;
  }

  push(s: string): void {
    const half = Math.floor(this.cap / 2);
    if (this.head.length < half) {
      const take = Math.min(half - this.head.length, s.length);
      this.head += s.slice(0, take);
      s = s.slice(take);
    }
    if (!s) return;
    this.tail += s;
    if (this.tail.length > half) {
      this.dropped += this.tail.length - half;
      this.tail = this.tail.slice(this.tail.length - half);
    }
  }

  text(): string {
    return this.dropped > 0 ? `${this.head}\n… [${this.dropped} characters of output dropped] …\n${this.tail}` : this.head + this.tail;
  }
}
