import { expect } from 'chai';
import { z } from 'zod';
import { defineEvent, defineStream } from '../../src/host/method.js';
import { streamFilter } from '../../src/adapters/stream-tail.js';

const Ev = defineEvent({ name: 'x/ev', description: 'x', payload: z.object({ a: z.string(), b: z.string(), seq: z.number() }) });

describe('adapters: which payloads belong to a declared stream', () => {
  it('a stream without `by` is a feed: every payload', () => {
    const feed = streamFilter(defineStream({ event: Ev, name: () => 'e', seq: (e) => e.seq }), {}, 'GET /x');
    expect(feed({ a: '1', b: '2', seq: 1 })).to.equal(true);
  });

  it('several `by` fields must all match, and each is required', () => {
    const stream = defineStream({ event: Ev, by: ['a', 'b'], name: () => 'e', seq: (e) => e.seq });
    const f = streamFilter(stream, { a: '1', b: '2' }, 'GET /x');
    expect(f({ a: '1', b: '2' })).to.equal(true);
    expect(f({ a: '1', b: '3' })).to.equal(false);
    expect(() => streamFilter(stream, { a: '1' }, 'GET /x')).to.throw(/needs a b/);
  });
});
