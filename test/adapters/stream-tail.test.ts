import { expect } from 'chai';
import { z } from 'zod';
import { defineEvent, defineStream } from '../../src/host/method.js';
import { streamFilter } from '../../src/adapters/stream-tail.js';

const Ev = defineEvent({ name: 'x/ev', description: 'x', payload: z.object({ a: z.string(), b: z.string(), seq: z.number() }) });

describe('adapters: which payloads belong to a declared stream', () => {
  it('`by` needs its param and selects by it; `select` decides on several fields', () => {
    const byA = defineStream({ event: Ev, by: 'a', name: () => 'e', seq: (e) => e.seq });
    expect(streamFilter(byA, { a: '1' }, 'GET /x')({ a: '1', b: 'z' })).to.equal(true);
    expect(streamFilter(byA, { a: '1' }, 'GET /x')({ a: '2', b: 'z' })).to.equal(false);
    expect(() => streamFilter(byA, {}, 'GET /x')).to.throw(/needs a a/);
    const both = defineStream({ event: Ev, select: (p) => (e) => e.a === p.a && e.b === p.b, name: () => 'e', seq: (e) => e.seq });
    const f = streamFilter(both, { a: '1', b: '2' }, 'GET /x');
    expect(f({ a: '1', b: '2' })).to.equal(true);
    expect(f({ a: '1', b: '3' })).to.equal(false);
  });
});
