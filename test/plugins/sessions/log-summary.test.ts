import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { readHead, scanOn, type LogScan } from '../../../src/plugins/sessions/log-summary.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';
import { sessionLogLines, writeSessionLog, type Listed } from '../../support/session-logs.js';

/** A logger whose lines a test can read. */
function collectingLogger() {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

const pick = (v: any): Omit<Listed, 'sessionId'> => ({ cwd: v.cwd, title: v.title, mode: v.mode, messageCount: v.messageCount, lastSeq: v.lastSeq, updatedAt: v.updatedAt });

describe('sessions: a start reads only the meta of each log, the list reads on cheaply', () => {
  let t: TestHost | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('lists what the full load shows, for plain, cleared and damaged logs, and warns of bad lines only on first use', async () => {
    const ws = os.tmpdir();
    const other = JSON.stringify({ k: 'ev', e: { type: 'turn_started', turnId: 'x', sessionId: 'sess_other', seq: 999 } });
    const variants: Record<string, (lines: string[]) => void> = {
      plain: () => undefined,
      // Deep inside: torn writes, a line that is not JSON, records of the wrong shape or out of place.
      damaged: (lines) => {
        lines.splice(9, 0, '{"k":"msg","m":{"ro', 'not json at all', other, JSON.stringify({ k: 'set', patch: { title: 5 }, at: '2030-01-01T00:00:00.000Z' }));
        lines.splice(20, 0, lines[0], JSON.stringify({ k: 'ev', e: { type: 'turn_started', turnId: 'y', sessionId: 'sess_damaged', seq: 2 } }));
        lines.splice(24, 0, JSON.stringify({ k: 'ev', e: { type: 'update', update: { sessionUpdate: 'x' }, sessionId: 'sess_damaged', seq: 500 }, from: 501 }));
      },
      // Keys in another order than this version writes, a message over 1 MiB, a last line without its newline.
      unusual: (lines) => {
        const i = lines.findIndex((l) => l.startsWith('{"k":"msg"'));
        const user = JSON.parse(lines[i]);
        lines.splice(i, 1, JSON.stringify({ at: user.at, m: user.m, k: 'msg' }));
        lines.push(JSON.stringify({ k: 'msg', m: { role: 'assistant', text: 'y'.repeat(1_200_000) }, at: '2027-01-01T00:00:00.000Z' }));
        lines.push(JSON.stringify({ k: 'msg', m: { role: 'user', content: [] }, at: '2027-01-02T00:00:00.000Z' }));
      },
    };
    const specs = [
      { sessionId: 'sess_plain', workspace: ws, turns: 6, title: 'Plain' },
      { sessionId: 'sess_cleared', workspace: ws, turns: 5, title: 'Cleared', clearAfter: 3, mode: 'read-only' },
      { sessionId: 'sess_damaged', workspace: ws, turns: 8, title: 'Damaged' },
      { sessionId: 'sess_unusual', workspace: ws, turns: 3 },
    ];
    const { logger, lines: logged } = collectingLogger();
    t = await createTestHost({
      logger,
      setupHome: (home) => {
        for (const spec of specs) {
          const { file } = writeSessionLog(home, spec, variants[spec.sessionId.slice(5)]);
          // A whole last record without its newline (a hand-made file; or a write under way).
          if (spec.sessionId === 'sess_unusual') writeFileSync(file, readFileSync(file, 'utf8').replace(/\n$/, ''));
        }
      },
    });
    expect(logged.filter((l) => /skipped/.test(l.msg)), 'no line is checked at start').to.deep.equal([]);
    const { client } = t.connect();
    const listed = (await client.sendRequest<any>('session/list', {})).sessions;
    expect(listed.map((s: any) => s.sessionId).sort()).to.deep.equal(specs.map((s) => s.sessionId).sort());
    expect(logged.filter((l) => /skipped/.test(l.msg)), 'nor by the list').to.deep.equal([]);
    for (const s of listed) {
      // session/get reads the log whole and checks every line: the truth the list must match.
      const full = await client.sendRequest<any>('session/get', { sessionId: s.sessionId });
      expect(pick(s), s.sessionId).to.deep.equal(pick(full));
      expect((await client.sendRequest<any>('session/list', {})).sessions.find((x: any) => x.sessionId === s.sessionId)).to.deep.equal(full);
    }
    const plain = sessionLogLines(specs[0]).listed;
    expect(pick(listed.find((s: any) => s.sessionId === 'sess_plain'))).to.deep.equal(pick({ ...plain, cwd: ws }));
    expect(listed.find((s: any) => s.sessionId === 'sess_cleared')).to.include({ messageCount: 4, mode: 'read-only', title: 'Cleared' });
    expect(listed.find((s: any) => s.sessionId === 'sess_unusual')).to.include({ messageCount: 8, updatedAt: '2027-01-02T00:00:00.000Z' });
    // Each bad line of the damaged log, reported once its session was loaded, with its line.
    const skipped = logged.filter((l) => l.msg === 'session log line skipped' && l.sessionId === 'sess_damaged').map((l) => l.line);
    expect(skipped).to.deep.equal([10, 11, 12, 13, 21, 22, 25]);
    expect(logged.find((l) => l.line === 12)?.reason).to.equal('an event of session "sess_other"');
  });

  it('a scan goes on from where it stopped when the log grows, and starts over when it is replaced or cut', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-summary-'));
    try {
      const spec = { sessionId: 'sess_s', workspace: dir, turns: 2, title: 'S' };
      const { file } = writeSessionLog(dir, spec);
      const head = readHead(file, 'sess_s');
      if (!('scan' in head)) throw new Error(head.refused);
      expect(head.scan.summary).to.include({ messageCount: 0, seq: 0 });
      const scanned = (prev: LogScan) => {
        const r = scanOn(file, 'sess_s', prev);
        if (!('scan' in r)) throw new Error(r.refused);
        return r.scan;
      };
      const first = scanned(head.scan);
      const { listed } = sessionLogLines(spec);
      expect(first.summary).to.include({ messageCount: 4, seq: listed.lastSeq, updatedAt: listed.updatedAt });
      expect(scanned(first), 'an unchanged log is not read again').to.equal(first);

      // Another process appends a message, the last one without its newline yet: counted once.
      const msg = (at: string) => JSON.stringify({ k: 'msg', m: { role: 'user', content: [] }, at });
      appendFileSync(file, msg('2030-01-01T00:00:00.000Z'));
      const partial = scanned(first);
      expect(partial.summary).to.include({ messageCount: 5, updatedAt: '2030-01-01T00:00:00.000Z' });
      expect(partial.state.messageCount, 'the unfinished line is not yet part of the state').to.equal(4);
      appendFileSync(file, '\n' + msg('2030-01-02T00:00:00.000Z') + '\n');
      const grown = scanned(partial);
      expect(grown.bytes, 'read on, not again').to.be.greaterThan(partial.bytes);
      expect(grown.summary).to.include({ messageCount: 6, updatedAt: '2030-01-02T00:00:00.000Z' });

      // Replaced by a rename (as compaction does): a new file, read from its start.
      const other = writeSessionLog(path.join(dir, 'other'), { ...spec, turns: 1, title: 'T' }).file;
      renameSync(other, file);
      const replaced = scanned(grown);
      expect(replaced.summary).to.include({ messageCount: 2, seq: 13 });
      expect(replaced.summary.meta.title).to.equal('T');
      // Cut shorter: read again from the start.
      truncateSync(file, replaced.bytes - 10);
      expect(scanned(replaced).summary, 'the torn turn_ended no longer counts').to.include({ messageCount: 2, seq: 12 });
      // Gone: refused, and said so.
      rmSync(file);
      expect(scanOn(file, 'sess_s', replaced)).to.deep.include({ gone: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
