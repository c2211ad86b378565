import { randomUUID } from 'node:crypto';
import { ErrorCodes, RpcError } from '../../host/errors.js';

/** One SSE frame: `id:` is the event's offset in its task, so a client resumes from it. */
export function sseFrame(offset: number, event: string, data: unknown): string {
  return `id: ${offset}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * One streamed chat turn's events, kept so that a client that lost its connection can resume
 * from any offset. The buffer is capped: past `cap` bytes an explicit `error` event (code
 * -32004, with the cap) ends the stream instead of a silent cut; the turn itself goes on.
 */
export class ChatTask {
  readonly frames: string[] = [];
  bytes = 0;
  finishedAt: number | undefined;
  truncated = false;
  /** Set once the turn started: cancels it. */
  cancel?: () => Promise<boolean>;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly id: string,
    private readonly cap: number,
    private readonly now: () => number,
  ) {}

  get finished(): boolean {
    return this.finishedAt !== undefined;
  }

  /** Adds an event at the next offset; ignored once the task is finished or truncated. */
  push(event: string, data: unknown): void {
    if (this.finished) return;
    const offset = this.frames.length;
    const frame = sseFrame(offset, event, data);
    const size = Buffer.byteLength(frame);
    if (this.bytes + size > this.cap) {
      this.truncated = true;
      const error = sseFrame(offset, 'error', {
          code: ErrorCodes.PayloadTooLarge,
          message: `the stream of task ${this.id} was truncated: its buffer reached the ${this.cap}-byte cap (SWITCHBOARD_STREAM_CAP); the turn goes on, and its full result is in the session's history`,
          data: { taskId: this.id, cap: this.cap, truncated: true, offset },
      });
      this.append(error, Buffer.byteLength(error));
      this.finish();
      return;
    }
    this.append(frame, size);
  }

  finish(): void {
    if (this.finished) return;
    this.finishedAt = this.now();
    this.wake();
  }

  /** Resolves when a frame is added or the task finishes (or `signal` aborts). */
  changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private append(frame: string, size: number): void {
    this.frames.push(frame);
    this.bytes += size;
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

export interface TaskStoreOptions {
  /** Byte cap of one task's buffer (SWITCHBOARD_STREAM_CAP, default 50 MB). */
  cap: number;
  /** How long a finished task is kept (default 10 minutes). */
  ttlMs: number;
  /** Most tasks kept; the oldest finished go first (default 200). */
  maxTasks: number;
  /** The clock (tests inject one instead of sleeping). */
  now?: () => number;
}

/** Ids evicted lately, to tell "evicted" from "unknown" in the 404. */
const EVICTED_MEMORY = 10_000;

/** The chat tasks of this daemon, and their janitor (`sweep`). */
export class TaskStore {
  private readonly tasks = new Map<string, ChatTask>();
  private readonly evicted = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly opts: TaskStoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.tasks.size;
  }

  create(): ChatTask {
    const task = new ChatTask(`task_${randomUUID().replace(/-/g, '')}`, this.opts.cap, this.now);
    this.tasks.set(task.id, task);
    this.sweep();
    return task;
  }

  /** Forgets a task that never started (its turn was refused): not "evicted", just gone. */
  discard(task: ChatTask): void {
    this.tasks.delete(task.id);
  }

  /** The task, or a 404 that says whether it is unknown or was evicted. */
  require(taskId: string): ChatTask {
    const task = this.tasks.get(taskId);
    if (task) return task;
    if (this.evicted.has(taskId)) {
      throw new RpcError(
        ErrorCodes.NotFound,
        `task "${taskId}" was evicted: finished tasks are kept ${Math.round(this.opts.ttlMs / 1000)} s and at most ${this.opts.maxTasks} of them; the turn's result is in its session's history`,
        { taskId, reason: 'evicted' },
      );
    }
    throw new RpcError(ErrorCodes.NotFound, `task "${taskId}" is unknown: no chat task of that id was started by this daemon (POST /api/chat with "stream": true starts one)`, {
      taskId,
      reason: 'unknown',
    });
  }

  /** Evicts finished tasks older than the TTL, then the oldest finished ones past `maxTasks`. */
  sweep(): number {
    const now = this.now();
    let n = 0;
    for (const t of this.tasks.values()) {
      if (t.finishedAt !== undefined && now - t.finishedAt >= this.opts.ttlMs) n += this.evict(t);
    }
    if (this.tasks.size > this.opts.maxTasks) {
      const finished = [...this.tasks.values()].filter((t) => t.finished).sort((a, b) => a.finishedAt! - b.finishedAt!);
      for (const t of finished) {
        if (this.tasks.size <= this.opts.maxTasks) break;
        n += this.evict(t);
      }
    }
    return n;
  }

  private evict(t: ChatTask): number {
    this.tasks.delete(t.id);
    this.evicted.add(t.id);
    if (this.evicted.size > EVICTED_MEMORY) this.evicted.delete(this.evicted.values().next().value!);
    return 1;
  }
}
