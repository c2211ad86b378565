import { expect } from 'chai';
import { pino } from 'pino';
import { z } from 'zod';
import { EventBus } from '../../src/host/events.js';
import { defineEvent } from '../../src/host/method.js';

const Tick = defineEvent({ name: 'test/tick', description: 'a tick', payload: z.object({ n: z.number() }) });

describe('event bus', () => {
  it('delivers in order, isolates a listener that throws, and unsubscribes on dispose', () => {
    const bus = new EventBus(pino({ level: 'silent' }));
    const seen: string[] = [];
    const a = bus.on(Tick, ({ n }) => seen.push(`a${n}`));
    bus.on(Tick, () => {
      throw new Error('listener bug');
    });
    bus.on(Tick, ({ n }) => seen.push(`c${n}`));
    bus.emit(Tick, { n: 1 });
    a.dispose();
    bus.emit(Tick, { n: 2 });
    expect(seen).to.deep.equal(['a1', 'c1', 'c2']);
    expect(bus.listenerCount(Tick)).to.equal(2);
  });
});
