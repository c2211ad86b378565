import { ErrorCodes, RpcError } from '../../host/errors.js';
import type { EventBus } from '../../host/events.js';
import { ReplayBuffer } from '../sessions/session.js';
import { HubEventDecl, type HubEvent, type HubEventBody } from './schemas.js';

/**
 * The hub-wide feed this agent serves: every hub event it learns of, from any agent, numbered
 * with one monotonic `seq` and kept in a bounded buffer for resumption.
 */
export class HubFeed {
  private seq = 0;
  private readonly buffer: ReplayBuffer<HubEvent>;

  constructor(
    private readonly bus: EventBus,
    capacity: number,
  ) {
    this.buffer = new ReplayBuffer<HubEvent>(capacity);
  }

  get lastSeq(): number {
    return this.seq;
  }

  get oldestSeq(): number {
    return this.buffer.oldestSeq(this.seq);
  }

  push(body: HubEventBody): HubEvent {
    const event = { ...body, seq: ++this.seq, at: new Date().toISOString() } as HubEvent;
    this.buffer.push(event);
    this.bus.emit(HubEventDecl, event);
    return event;
  }

  /** The events after `after`; an evicted resume point is an explicit Gone, never a silent gap. */
  after(after: number | undefined): HubEvent[] {
    if (after === undefined) return [];
    const oldest = this.oldestSeq;
    if (after + 1 < oldest) {
      throw new RpcError(
        ErrorCodes.Gone,
        `the client is too far behind: hub events after seq ${after} were evicted; the oldest kept is seq ${oldest}. Reload hub/agents and resume from seq ${this.seq}.`,
        { after, oldestSeq: oldest, lastSeq: this.seq },
      );
    }
    return this.buffer.after(after);
  }
}
