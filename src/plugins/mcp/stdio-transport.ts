import type { ChildProcess } from 'node:child_process';
import { StdioClientTransport, type StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';

const STDERR_TAIL_BYTES = 2048;

/**
 * The SDK's stdio transport, plus what a supervisor needs: how the process ended (for the
 * "failed" reason), a tail of its stderr, and a quicker stop. The SDK waits 2 s after closing
 * stdin before SIGTERM; many servers (server-everything among them) ignore stdin EOF, so we
 * give them `graceMs` and then escalate SIGTERM → SIGKILL, and only then let the SDK tidy up.
 */
export class ManagedStdioTransport extends StdioClientTransport {
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  private child?: ChildProcess;
  private tail = '';

  constructor(
    params: Omit<StdioServerParameters, 'stderr'>,
    private readonly onStderr: (line: string) => void,
    private readonly graceMs = 300,
  ) {
    super({ ...params, stderr: 'pipe' });
    this.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.tail = (this.tail + text).slice(-STDERR_TAIL_BYTES);
      for (const line of text.split('\n')) if (line.trim()) this.onStderr(line);
    });
  }

  override async start(): Promise<void> {
    await super.start();
    // The SDK keeps its ChildProcess private; we need its exit status and a hard stop.
    this.child = (this as unknown as { _process?: ChildProcess })._process;
    this.child?.once('exit', (code, signal) => (this.exit = { code, signal }));
  }

  /** The last non-empty stderr line, for a failure reason. */
  lastStderrLine(): string | undefined {
    return this.tail.trim().split('\n').filter((l) => l.trim()).pop()?.slice(0, 300);
  }

  override async close(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const within = (ms: number) => Promise.race([exited.then(() => true), delay(ms).then(() => false)]);
      child.stdin?.end();
      if (!(await within(this.graceMs))) {
        child.kill('SIGTERM');
        if (!(await within(2000))) {
          child.kill('SIGKILL');
          await within(2000);
        }
      }
    }
    await super.close();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
