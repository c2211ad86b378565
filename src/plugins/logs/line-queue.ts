import type { PeerFlow } from '../../host/client.js';
import type { Disposable } from '../../host/disposable.js';
import { Ring, type RingWeight } from './ring.js';

export interface LineQueueOptions<T> {
  /** Items held for a client that is not reading; past it the oldest go. */
  max: number;
  /** And at most this weight of them (characters of text), however few. */
  weight?: RingWeight<T>;
  /** The transport's view of the client; absent: every item goes out at once. */
  flow?: PeerFlow;
  /** Bytes the transport may hold for the client before we hold back instead. */
  highWater: number;
  send(item: T): void;
  /** Sent before the first item after a gap: how many were dropped there. */
  dropped(count: number): void;
  /** Hold items until `release()` (the subscribe answer must reach the client first). */
  held?: boolean;
}

/**
 * One subscriber's bounded queue. While the client keeps up, an item goes straight to the
 * transport; once the transport holds more than `highWater` bytes for it, items wait here, and
 * past `max` the oldest are dropped. The client then gets one `dropped {count}` marker where
 * the gap is, followed by the newest items: memory stays bounded whatever the client does, and
 * the transport never has to cut it off.
 */
export class LineQueue<T> implements Disposable {
  private readonly ring: Ring<T>;
  private droppedSinceSent = 0;
  private waiting?: Disposable;
  private closed = false;
  private held: boolean;
  readonly stats = { sent: 0, dropped: 0, peakQueued: 0 };

  constructor(private readonly opts: LineQueueOptions<T>) {
    this.ring = new Ring<T>(opts.max, opts.weight);
    this.held = opts.held ?? false;
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (!this.waiting) this.pump();
  }

  get queued(): number {
    return this.ring.size;
  }

  push(item: T): void {
    if (this.closed) return;
    if (this.ring.size === 0 && !this.held && !this.waiting && this.droppedSinceSent === 0 && this.hasRoom()) {
      this.sendOne(item);
      return;
    }
    const evicted = this.ring.push(item);
    this.droppedSinceSent += evicted;
    this.stats.dropped += evicted;
    if (this.ring.size > this.stats.peakQueued) this.stats.peakQueued = this.ring.size;
    if (!this.waiting && !this.held) this.pump();
  }

  private hasRoom(): boolean {
    return !this.opts.flow || this.opts.flow.queuedBytes() <= this.opts.highWater;
  }

  private pump(): void {
    this.waiting = undefined;
    while (!this.closed && this.ring.size > 0) {
      if (!this.hasRoom()) {
        this.waiting = this.opts.flow!.onceDrained(() => this.pump());
        return;
      }
      if (this.droppedSinceSent > 0) {
        this.opts.dropped(this.droppedSinceSent);
        this.droppedSinceSent = 0;
      }
      this.sendOne(this.ring.shift() as T);
    }
  }

  private sendOne(item: T): void {
    this.stats.sent++;
    this.opts.send(item);
  }

  dispose(): void {
    this.closed = true;
    this.waiting?.dispose();
    this.waiting = undefined;
    this.ring.clear();
  }
}
