import { expect } from 'chai';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { compactLines } from '../../../src/plugins/sessions/compact-records.js';
import { compactLog, removeStaleTemps, tempOf } from '../../../src/plugins/sessions/log-compaction.js';
import { SessionLog } from '../../../src/plugins/sessions/log.js';
import { logRecordSchema } from '../../../src/plugins/sessions/log-schema.js';

const sid = 'sess_c';
const at = '2026-01-01T00:00:00.000Z';
let seq = 0;
const ev = (e: Record<string, unknown>) => JSON.stringify({ k: 'ev', e: { sessionId: sid, seq: ++seq, ...e } });
const upd = (update: Record<string, unknown>) => ev({ type: 'update', update });
const chunk = (text: string, messageId = 'm1', kind = 'agent_message_chunk') => upd({ sessionUpdate: kind, content: { type: 'text', text }, messageId });
const started = (turnId: string) => ev({ type: 'turn_started', turnId });
const ended = (turnId: string) => ev({ type: 'turn_ended', turnId, stopReason: 'end_turn' });
const msg = (m: unknown) => JSON.stringify({ k: 'msg', m, at });
const parse = (l: string) => JSON.parse(l);

/** A finished turn: a thought, a text of 4 chunks, a tool call with a permission in between, a text. */
function turn(turnId: string): string[] {
  return [
    started(turnId),
    msg({ role: 'user', content: [{ type: 'text', text: 'go' }], messageId: 'u1' }),
    chunk('hm', 'm1', 'agent_thought_chunk'),
    chunk('mm', 'm1', 'agent_thought_chunk'),
    chunk('Let '),
    chunk('me '),
    chunk('look'),
    chunk('.'),
    msg({ role: 'assistant', text: 'Let me look.', messageId: 'm1', toolCalls: [{ id: 'c1', name: 'read_file', arguments: '{"path":"a"}' }] }),
    upd({ sessionUpdate: 'tool_call', toolCallId: 'c1', title: 'Read a', kind: 'read', rawInput: { path: 'a' }, status: 'pending' }),
    upd({ sessionUpdate: 'tool_call_update', toolCallId: 'c1', status: 'in_progress' }),
    ev({ type: 'permission', requestId: 'r1', toolCallId: 'c1', state: 'pending' }),
    upd({ sessionUpdate: 'tool_call_update', toolCallId: 'c1', status: 'in_progress', content: [{ type: 'content', content: { type: 'text', text: 'half' } }] }),
    upd({ sessionUpdate: 'tool_call_update', toolCallId: 'c1', status: 'completed', content: [{ type: 'content', content: { type: 'text', text: 'all of a' } }] }),
    msg({ role: 'tool', toolCallId: 'c1', name: 'read_file', content: 'all of a' }),
    chunk('Done', 'm2'),
    chunk('!', 'm2'),
    upd({ sessionUpdate: 'usage_update', used: 10, size: 0 }),
    ended(turnId),
  ];
}

describe('sessions: compacting a finished turn of the log', () => {
  it('merges each run of chunks of one message, and each tool call into its final state', () => {
    seq = 0;
    const meta = JSON.stringify({ k: 'meta', meta: { sessionId: sid } });
    const input = [meta, ...turn('t1')];
    const out = compactLines(input);
    // 2 thoughts → 1, 4 text chunks → 1, tool_call + 3 updates → 1, 2 chunks → 1.
    expect(out.merged).to.equal(1 + 3 + 3 + 1);
    expect(out.lines).to.have.length(input.length - out.merged);
    expect(out.stable).to.equal(out.lines.length);
    const records = out.lines.map(parse);
    for (const r of records.slice(1)) expect(logRecordSchema().safeParse(r).success, JSON.stringify(r)).to.equal(true);
    const updates = records.filter((r) => r.e?.type === 'update').map((r) => ({ from: r.from, seq: r.e.seq, ...r.e.update }));
    expect(updates).to.deep.equal([
      { from: 2, seq: 3, sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'hmmm' }, messageId: 'm1' },
      { from: 4, seq: 7, sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'Let me look.' }, messageId: 'm1' },
      {
        from: 8, seq: 12, sessionUpdate: 'tool_call', toolCallId: 'c1', title: 'Read a', kind: 'read', rawInput: { path: 'a' },
        status: 'completed', content: [{ type: 'content', content: { type: 'text', text: 'all of a' } }],
      },
      { from: 13, seq: 14, sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'Done!' }, messageId: 'm2' },
      { from: undefined, seq: 15, sessionUpdate: 'usage_update', used: 10, size: 0 },
    ]);
    // What is not merged is copied byte for byte, in its place; the permission precedes the call now.
    for (const line of input.filter((l) => !/_chunk|tool_call/.test(l))) expect(out.lines).to.include(line);
    expect(records.findIndex((r) => r.e?.type === 'permission')).to.be.lessThan(records.findIndex((r) => r.e?.update?.sessionUpdate === 'tool_call'));
    // Seqs still go up, so the loader takes every event.
    const seqs = records.filter((r) => r.k === 'ev').map((r) => r.e.seq);
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    // Compacting again changes nothing.
    expect(compactLines(out.lines)).to.deep.equal({ lines: out.lines, stable: out.lines.length, merged: 0 });
  });

  it('leaves the open turn as it streamed, and stable stops at its start; a turn cut by a crash is finished by the next', () => {
    seq = 0;
    const crashed = [started('t0'), chunk('a'), chunk('b')];
    const done = turn('t1');
    const open = [started('t2'), chunk('x', 'm9'), chunk('y', 'm9')];
    const out = compactLines([...crashed, ...done, ...open]);
    expect(out.lines.slice(out.stable)).to.deep.equal(open);
    expect(parse(out.lines[1])).to.deep.include({ from: 2 });
    expect(parse(out.lines[1]).e.update.content.text).to.equal('ab');
    expect(out.merged).to.equal(1 + 8);
  });

  it('merges only what it understands: other shapes, bad lines and chunks outside a turn stay as they are', () => {
    seq = 0;
    const outside = [chunk('slash '), chunk('command')];
    const odd = [
      started('t'),
      chunk('a'),
      upd({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'b', annotations: {} }, messageId: 'm1' }),
      upd({ sessionUpdate: 'agent_message_chunk', content: { type: 'image', data: 'x' }, messageId: 'm1' }),
      '{"k":"ev","e":{"type":"upd',
      chunk('c'),
      JSON.stringify({ k: 'ev', e: { type: 'update', sessionId: sid, seq: -1, update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'd' } } } }),
      chunk('e'),
      chunk('f', 'other'),
      ended('t'),
    ];
    const out = compactLines([...outside, ...odd]);
    expect(out.merged).to.equal(0);
    expect(out.lines).to.deep.equal([...outside, ...odd]);
  });

  describe('on disk', () => {
    let dir: string;
    const logger = pino({ level: 'silent' });
    beforeEach(() => {
      seq = 0;
      dir = mkdtempSync(path.join(os.tmpdir(), 'sb-compact-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('renames a fsynced temp file over the log, keeping what was appended while it was held', async () => {
      const file = path.join(dir, `${sid}.jsonl`);
      writeFileSync(file, turn('t1').join('\n') + '\n');
      const log = new SessionLog(file);
      const rawLines = readFileSync(file, 'utf8').split('\n').length - 1;
      let sawTemp = false;
      const r = await compactLog(log, {
        signal: new AbortController().signal,
        hold: async (tmp) => {
          sawTemp = existsSync(tmp);
          // A new turn starts while the compaction is held: its lines go to the old file, and must survive.
          appendFileSync(file, [started('t2'), chunk('n', 'm7'), chunk('ew', 'm7')].join('\n') + '\n');
        },
      });
      expect(sawTemp).to.equal(true);
      expect(r?.merged).to.equal(8);
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(lines.length).to.equal(rawLines - 8 + 3);
      expect(lines.slice(-3).map(parse).map((l) => l.e.update?.content.text ?? l.e.type)).to.deep.equal(['turn_started', 'n', 'ew']);
      expect(readdirSync(dir)).to.deep.equal([`${sid}.jsonl`]);
      // The head is final; the open turn is read again next time, and merged once it ends.
      expect(log.stableBytes).to.equal(Buffer.byteLength(lines.slice(0, -3).join('\n')) + 1);
      appendFileSync(file, ended('t2') + '\n');
      expect((await compactLog(log, { signal: new AbortController().signal }))?.merged).to.equal(1);
      expect(parse(readFileSync(file, 'utf8').trimEnd().split('\n').at(-2)!)).to.deep.include({ from: 18 });
    });

    it('an abort while held leaves the log untouched and removes the temp file', async () => {
      const file = path.join(dir, `${sid}.jsonl`);
      writeFileSync(file, turn('t1').join('\n') + '\n');
      const before = readFileSync(file, 'utf8');
      const ctl = new AbortController();
      const r = await compactLog(new SessionLog(file), { signal: ctl.signal, hold: async () => ctl.abort() });
      expect(r).to.equal(undefined);
      expect(readFileSync(file, 'utf8')).to.equal(before);
      expect(readdirSync(dir)).to.deep.equal([`${sid}.jsonl`]);
    });

    it('a torn last line gets its newline before the next append, so the next record survives', () => {
      const file = path.join(dir, `${sid}.jsonl`);
      writeFileSync(file, msg({ role: 'user', content: [] }) + '\n{"k":"msg","m":{"ro');
      const log = new SessionLog(file);
      log.append({ k: 'msg', m: { role: 'assistant', text: 'kept' }, at });
      log.close();
      const loaded = SessionLog.load(file);
      expect(loaded.skipped).to.deep.equal([{ line: 2, reason: 'not JSON (a torn write?)' }]);
      expect(loaded.records.map((r) => (r as { m: { role: string } }).m.role)).to.deep.equal(['user', 'assistant']);
    });

    it('removes the temp files of dead daemons only', () => {
      const file = path.join(dir, `${sid}.jsonl`);
      const dead = `${file}.999999999.compact.tmp`;
      const live = `${file}.${process.ppid}.compact.tmp`;
      for (const f of [file, dead, live]) writeFileSync(f, '');
      removeStaleTemps(dir, logger);
      expect(readdirSync(dir).sort()).to.deep.equal([path.basename(file), path.basename(live)].sort());
      expect(tempOf(file)).to.equal(`${file}.${process.pid}.compact.tmp`);
    });
  });
});
