import { expect } from 'chai';
import type { SessionEvent } from '../../../src/plugins/sessions/contract.js';
import { Mutex, ReplayBuffer } from '../../../src/plugins/sessions/session.js';

const ev = (seq: number): SessionEvent => ({ type: 'turn_started', sessionId: 's', seq, turnId: 't' });

describe('sessions: replay buffer and mutex', () => {
  it('keeps the latest events in seq order once it wraps around', () => {
    const b = new ReplayBuffer(3);
    expect(b.oldestSeq(0)).to.equal(1);
    for (let i = 1; i <= 7; i++) b.push(ev(i));
    expect(b.oldestSeq(7)).to.equal(5);
    expect(b.after(0).map((e) => e.seq)).to.deep.equal([5, 6, 7]);
    expect(b.after(6).map((e) => e.seq)).to.deep.equal([7]);
    expect(b.after(7)).to.deep.equal([]);
  });

  it('runs mutations one at a time in call order, even when one fails', async () => {
    const m = new Mutex();
    const order: string[] = [];
    let release!: () => void;
    const first = m.run(() => new Promise<void>((r) => (release = r)).then(() => void order.push('a')));
    const second = m.run(() => {
      order.push('b');
      throw new Error('boom');
    });
    const third = m.run(() => void order.push('c'));
    await new Promise((r) => setImmediate(r)); // the first has started and holds the lock
    expect(order).to.deep.equal([]);
    release();
    await first;
    await second.catch(() => undefined);
    await third;
    expect(order).to.deep.equal(['a', 'b', 'c']);
  });
});
