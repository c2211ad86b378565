import { expect } from 'chai';
import type { PeerFlow } from '../../../src/host/client.js';
import { ErrorCodes } from '../../../src/host/errors.js';
import { redactText } from '../../../src/host/redaction.js';
import { REDACTED as CENSOR, registerSecret } from '../../../src/host/secrets.js';
import { compileGrep } from '../../../src/plugins/logs/grep.js';
import { LineQueue } from '../../../src/plugins/logs/line-queue.js';
import { parseLine } from '../../../src/plugins/logs/line-parser.js';

const parse = (text: string, literals: string[] = []) => parseLine({ text, clipped: false }, 'f', 1, 0, literals);

describe('logs: redaction, grep and bounded queues', () => {
  describe('secrets are redacted with the daemon rules before a line leaves', () => {
    it('blanks secret keys of a JSON line at any depth (the keys pino redacts in our own log)', () => {
      const line = parse(
        JSON.stringify({
          level: 30,
          msg: 'calling',
          profile: { apiKey: 'sk-live-1234567890abcdef' },
          a: { b: { c: { d: { headers: { 'x-custom': 'v' } } } } },
          env: { OPENAI_API_KEY: 'zzz' },
          'x-ghost-key': 'ghost',
          Authorization: 'Bearer abcdefghijklmnop',
        }),
      );
      expect(line.json).to.equal(true);
      const back = JSON.parse(line.text);
      expect(back.profile.apiKey).to.equal(CENSOR);
      expect(back.a.b.c.d.headers).to.equal(CENSOR);
      expect(back.env).to.equal(CENSOR);
      expect(back['x-ghost-key']).to.equal(CENSOR);
      expect(back.Authorization).to.equal(CENSOR);
      expect(line.text).not.to.match(/sk-live|zzz|ghost"|abcdefghijklmnop/);
      expect(line.msg).to.equal('calling');
    });

    it('blanks credentials in plain text: key=value, headers, bearer tokens, provider key shapes, the daemon token', () => {
      const token = 'f'.repeat(40);
      const cases: [string, RegExp][] = [
        ['connecting with api_key=abc123secret and more', /abc123secret/],
        ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', /eyJhbGci/],
        ['curl -H "X-API-Key: k-9f8e7d6c" http://x', /9f8e7d6c/],
        ['password: hunter22 then', /hunter22/],
        ['OPENAI key sk-proj-abcdefghijklmnop leaked', /abcdefghijklmnop/],
        ['token="tok_1234567890"', /tok_1234567890/],
        [`GET /?t=${token}`, /fffffffff/],
      ];
      for (const [text, leak] of cases) {
        const out = parse(text, [token]).text;
        expect(out, text).not.to.match(leak);
        expect(out, text).to.include(CENSOR);
      }
      expect(redactText('max_tokens=5 and 200 tokens used')).to.equal('max_tokens=5 and 200 tokens used');
    });

    it('blanks every secret the process knows by value (a profile key echoed by an agent)', () => {
      registerSecret('zq-known-secret-4242');
      const plain = parse('agent says: using zq-known-secret-4242 for the call');
      expect(plain.text).to.equal(`agent says: using ${CENSOR} for the call`);
      const pinoLine = parse(JSON.stringify({ level: 30, time: 1700000000000, msg: 'key zq-known-secret-4242' }));
      expect(pinoLine.msg).to.equal(`key ${CENSOR}`);
      expect(pinoLine.text).not.to.include('zq-known-secret-4242');
    });

    it('a redacted JSON line stays JSON', () => {
      const line = parse(JSON.stringify({ level: 40, msg: 'retry with token=abc123456 now', nested: { token: 'x"y' } }));
      expect(line.json).to.equal(true);
      expect(() => JSON.parse(line.text)).not.to.throw();
      expect(line.msg).to.equal(`retry with token=${CENSOR} now`);
    });
  });

  describe('grep', () => {
    it('matches substrings and RE2 patterns; a catastrophic pattern costs linear time', () => {
      expect(compileGrep('timeout')('a timeout here')).to.equal(true);
      expect(compileGrep('(?i)ERROR|warn')('some Error')).to.equal(true);
      expect(compileGrep('^\\d+ ok$')('12 ok')).to.equal(true);
      // Exponential on a backtracking engine (V8 would not return in our lifetime).
      const evil = compileGrep('^(a+)+$');
      expect(evil('a'.repeat(64 * 1024) + 'b')).to.equal(false);
      expect(compileGrep('(x+x+)+y')('x'.repeat(20_000))).to.equal(false);
    });

    it('refuses what RE2 does not accept, with a clear InvalidParams', () => {
      for (const bad of ['(?=x)', '(a)\\1', 'a{5000}', '[']) {
        try {
          compileGrep(bad);
          expect.fail(`${bad} compiled`);
        } catch (err) {
          expect((err as { code: number }).code, bad).to.equal(ErrorCodes.InvalidParams);
          expect((err as Error).message).to.match(/RE2/);
        }
      }
    });
  });

  describe('a subscriber queue', () => {
    /** A transport whose client reads only when told to. */
    function stalledFlow() {
      let queued = 0;
      let drained: (() => void) | undefined;
      const flow: PeerFlow = {
        queuedBytes: () => queued,
        onceDrained: (l) => {
          drained = l;
          return { dispose: () => (drained = undefined) };
        },
      };
      return {
        flow,
        fill: (n: number) => (queued = n),
        drain: () => {
          queued = 0;
          const d = drained;
          drained = undefined;
          d?.();
        },
      };
    }

    it('sends at once while the client reads', () => {
      const out: unknown[] = [];
      const q = new LineQueue<number>({ max: 3, highWater: 100, flow: stalledFlow().flow, send: (n) => out.push(n), dropped: (c) => out.push({ dropped: c }) });
      for (let i = 1; i <= 10; i++) q.push(i);
      expect(out).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('holds back while the transport is full, keeps the newest, and marks the gap with the count dropped', () => {
      const out: unknown[] = [];
      const t = stalledFlow();
      const q = new LineQueue<number>({ max: 3, highWater: 100, flow: t.flow, send: (n) => out.push(n), dropped: (c) => out.push({ dropped: c }) });
      q.push(1);
      t.fill(1000);
      for (let i = 2; i <= 10; i++) q.push(i);
      expect(out).to.deep.equal([1]);
      expect(q.queued).to.equal(3);
      t.drain();
      expect(out).to.deep.equal([1, { dropped: 6 }, 8, 9, 10]);
      q.push(11);
      expect(out.at(-1)).to.equal(11);
      expect(q.stats).to.include({ sent: 5, dropped: 6, peakQueued: 3 });
      q.dispose();
      q.push(12);
      expect(out.at(-1)).to.equal(11);
    });

    it('bounds what it holds by weight too: a few huge lines cannot fill memory', () => {
      const out: unknown[] = [];
      const t = stalledFlow();
      t.fill(1000);
      const q = new LineQueue<string>({ max: 1000, weight: { of: (s) => s.length, max: 10_000 }, highWater: 100, flow: t.flow, send: (x) => out.push(x.length), dropped: (c) => out.push({ dropped: c }) });
      for (let i = 0; i < 50; i++) q.push('x'.repeat(4000));
      expect(q.queued).to.equal(2);
      t.drain();
      expect(out).to.deep.equal([{ dropped: 48 }, 4000, 4000]);
    });

    it('holds everything until released (the subscribe answer goes first)', () => {
      const out: number[] = [];
      const q = new LineQueue<number>({ max: 10, highWater: 100, held: true, send: (n) => out.push(n), dropped: () => {} });
      q.push(1);
      q.push(2);
      expect(out).to.deep.equal([]);
      q.release();
      q.push(3);
      expect(out).to.deep.equal([1, 2, 3]);
    });
  });
});
