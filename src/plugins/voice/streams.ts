import { randomUUID } from 'node:crypto';
import type { Disposable } from '../../host/disposable.js';

export interface ActiveStream {
  readonly id: string;
  readonly kind: 'tts' | 'speak';
  readonly sessionId?: string;
  readonly startedAt: number;
  /** Aborted by voice/stop, by the caller's own signal, or at shutdown. */
  readonly signal: AbortSignal;
  /** Whether voice/stop (rather than the caller) ended it. */
  readonly stopped: boolean;
}

/**
 * Every TTS/speak request in flight, so voice/stop and shutdown can end them at once: their
 * signal aborts, which destroys the upstream socket or request.
 */
export class StreamRegistry implements Disposable {
  private readonly streams = new Map<string, { stream: ActiveStream; controller: AbortController; stop(): void }>();

  open(kind: ActiveStream['kind'], callSignal: AbortSignal, opts: { id?: string; sessionId?: string } = {}): ActiveStream & Disposable {
    const controller = new AbortController();
    let id = opts.id ?? randomUUID();
    if (this.streams.has(id)) id = `${id}-${randomUUID().slice(0, 8)}`;
    let stopped = false;
    const registry = this;
    const stream: ActiveStream & Disposable = {
      id,
      kind,
      sessionId: opts.sessionId,
      startedAt: Date.now(),
      signal: AbortSignal.any([callSignal, controller.signal]),
      get stopped() {
        return stopped;
      },
      dispose() {
        registry.streams.delete(id);
      },
    };
    this.streams.set(id, {
      stream,
      controller,
      stop: () => {
        stopped = true;
        controller.abort();
      },
    });
    return stream;
  }

  /** Stops the matching streams (all when neither is given); returns their ids. */
  stop(filter: { streamId?: string; sessionId?: string } = {}): string[] {
    const out: string[] = [];
    for (const [id, s] of this.streams) {
      if (filter.streamId !== undefined && id !== filter.streamId) continue;
      if (filter.sessionId !== undefined && s.stream.sessionId !== filter.sessionId) continue;
      s.stop();
      this.streams.delete(id);
      out.push(id);
    }
    return out;
  }

  list(): { id: string; kind: string; sessionId?: string; ageMs: number }[] {
    return [...this.streams.values()].map(({ stream: s }) => ({ id: s.id, kind: s.kind, ...(s.sessionId ? { sessionId: s.sessionId } : {}), ageMs: Date.now() - s.startedAt }));
  }

  dispose(): void {
    for (const s of this.streams.values()) s.stop();
    this.streams.clear();
  }
}
