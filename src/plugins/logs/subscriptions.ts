import { randomUUID } from 'node:crypto';
import type { ClientPeer } from '../../host/client.js';
import type { Disposable } from '../../host/disposable.js';
import { LineQueue } from './line-queue.js';
import { lineWeight, matches, type LineFilter, type LogFeed } from './log-feed.js';
import type { LogLine } from './schemas.js';

interface Subscription {
  id: string;
  peer: ClientPeer;
  filter: LineFilter;
  queue: LineQueue<LogLine>;
  release: Disposable[];
}

export interface SubscriptionLimits {
  /** Lines held for a client that is not reading, unless it asks for another bound. */
  maxQueue: number;
  /** Bytes the transport may hold for the client before its queue holds back. */
  highWater: number;
  /** Sends one line / one dropped marker to a client (the declared notifications). */
  line(peer: ClientPeer, params: LogLine & { subscriptionId: string }): void;
  dropped(peer: ClientPeer, params: { subscriptionId: string; count: number }): void;
}

/**
 * The live subscriptions of every connection: each has its filter and its bounded queue, and
 * ends with `logs/unsubscribe` or when its connection closes. Only the connection that made a
 * subscription can end it.
 */
export class LogSubscriptions implements Disposable {
  private readonly byId = new Map<string, Subscription>();
  /** Dropped by subscriptions that have ended (live ones count in their queue's stats). */
  private droppedEnded = 0;

  constructor(
    private readonly feed: LogFeed,
    private readonly limits: SubscriptionLimits,
  ) {}

  add(peer: ClientPeer, filter: LineFilter, maxQueue?: number): string {
    const id = randomUUID();
    const queue = new LineQueue<LogLine>({
      max: maxQueue ?? this.limits.maxQueue,
      // However many lines it may hold, a queue of long (clipped) lines stays within 16 Mi characters.
      weight: lineWeight(16 * 1024 * 1024),
      flow: peer.flow,
      highWater: this.limits.highWater,
      held: true,
      send: (line) => this.limits.line(peer, { subscriptionId: id, ...line }),
      dropped: (count) => this.limits.dropped(peer, { subscriptionId: id, count }),
    });
    const sub: Subscription = { id, peer, filter, queue, release: [] };
    sub.release.push(this.feed.listen((line) => matches(filter, line) && queue.push(line)));
    const onClose = () => this.remove(peer, id);
    peer.closed.addEventListener('abort', onClose, { once: true });
    sub.release.push({ dispose: () => peer.closed.removeEventListener('abort', onClose) });
    this.byId.set(id, sub);
    // The subscribe answer goes out first: lines wait for the next turn of the loop.
    const timer = setImmediate(() => queue.release());
    sub.release.push({ dispose: () => clearImmediate(timer) });
    if (peer.closed.aborted) this.remove(peer, id);
    return id;
  }

  /** Ends a subscription of this peer; false if it has none by that id. */
  remove(peer: ClientPeer, id: string): boolean {
    const sub = this.byId.get(id);
    if (!sub || sub.peer.id !== peer.id) return false;
    this.byId.delete(id);
    for (const r of sub.release.reverse()) void r.dispose();
    this.droppedEnded += sub.queue.stats.dropped;
    sub.queue.dispose();
    return true;
  }

  stats(): { subscriptions: number; queued: number; peakQueued: number; sent: number; dropped: number } {
    let queued = 0;
    let peakQueued = 0;
    let sent = 0;
    let dropped = this.droppedEnded;
    for (const s of this.byId.values()) {
      queued += s.queue.queued;
      peakQueued = Math.max(peakQueued, s.queue.stats.peakQueued);
      sent += s.queue.stats.sent;
      dropped += s.queue.stats.dropped;
    }
    return { subscriptions: this.byId.size, queued, peakQueued, sent, dropped };
  }

  dispose(): void {
    for (const sub of [...this.byId.values()]) this.remove(sub.peer, sub.id);
  }
}
