import { expect } from 'chai';
import { appendFileSync, copyFileSync, mkdirSync, openSync, closeSync, readdirSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { FeedUnderTest, numbered, tempDir } from './helpers.js';

describe('logs: tailing files (rotation, truncation, late files, huge files)', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  let t: FeedUnderTest | undefined;
  beforeEach(() => (tmp = tempDir()));
  afterEach(async () => {
    await t?.feed.dispose();
    t = undefined;
    tmp.remove();
  });
  const source = (name: string) => ({ name, path: path.join(tmp.dir, name), own: false });

  it('starts from the last lines of an existing file, then follows appends', async () => {
    const file = path.join(tmp.dir, 'a.log');
    writeFileSync(file, numbered('old', 1, 500));
    t = new FeedUnderTest([source('a.log')], { keepLines: 50 });
    await t.feed.start();
    const tail = t.feed.tail('a.log', 1000, 0);
    expect(tail.map((l) => l.text)).to.deep.equal(numbered('old', 451, 500).trim().split('\n'));
    expect(t.lines).to.have.length(0, 'the start-up tail is not sent as new lines');
    appendFileSync(file, numbered('new', 1, 3));
    await t.untilCount(3);
    expect(t.texts()).to.deep.equal(['new 1', 'new 2', 'new 3']);
    expect(t.lines.map((l) => l.seq)).to.deep.equal([51, 52, 53]);
  });

  it('follows a rename rotation: the old file is read to its end, the new one from its start', async () => {
    const file = path.join(tmp.dir, 'app.log');
    writeFileSync(file, '');
    t = new FeedUnderTest([source('app.log')]);
    await t.feed.start();
    appendFileSync(file, numbered('first', 1, 100));
    await t.untilCount(100);
    // Lines written just before the rename, then the rename, then the new file: nothing lost.
    appendFileSync(file, numbered('late', 1, 5));
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, 'written to the old file after the rename\n');
    writeFileSync(file, numbered('second', 1, 100));
    await t.untilCount(206);
    expect(t.texts().slice(100, 106)).to.deep.equal([...numbered('late', 1, 5).trim().split('\n'), 'written to the old file after the rename']);
    expect(t.texts().slice(106)).to.deep.equal(numbered('second', 1, 100).trim().split('\n'));
    const s = t.feed.files()[0];
    expect(s.rotations).to.equal(1);
    expect(s.state).to.equal('tailing');
  });

  it('follows copytruncate and truncation: the size falls below our position, reading starts over', async () => {
    const file = path.join(tmp.dir, 'ct.log');
    writeFileSync(file, '');
    t = new FeedUnderTest([source('ct.log')]);
    await t.feed.start();
    appendFileSync(file, numbered('before', 1, 200));
    await t.untilCount(200);
    copyFileSync(file, `${file}.1`); // logrotate copytruncate: copy, then truncate in place
    truncateSync(file, 0);
    await t.untilFile('ct.log', (s) => s.truncations === 1);
    appendFileSync(file, numbered('after', 1, 10));
    await t.untilCount(210);
    expect(t.texts().slice(200)).to.deep.equal(numbered('after', 1, 10).trim().split('\n'));
    // A plain truncation to a shorter size, written again at once.
    truncateSync(file, 0);
    appendFileSync(file, 'short\n');
    await t.untilCount(211);
    expect(t.texts()[210]).to.equal('short');
    expect(t.feed.files()[0].truncations).to.equal(2);
  });

  it('waits for a file that does not exist yet (its folder neither) and reads it from its start', async () => {
    const file = path.join(tmp.dir, 'later', 'agent.log');
    t = new FeedUnderTest([{ name: 'agent.log', path: file, own: false }]);
    await t.feed.start();
    expect(t.feed.files()[0].state).to.equal('waiting');
    mkdirSync(path.dirname(file));
    writeFileSync(file, numbered('hello', 1, 3));
    await t.untilCount(3);
    expect(t.texts()).to.deep.equal(['hello 1', 'hello 2', 'hello 3']);
    expect(t.feed.files()[0].state).to.equal('tailing');
  });

  it('reports a file that vanishes and resumes when it returns', async () => {
    const file = path.join(tmp.dir, 'v.log');
    writeFileSync(file, '');
    t = new FeedUnderTest([source('v.log')]);
    await t.feed.start();
    appendFileSync(file, 'one\n');
    await t.untilCount(1);
    unlinkSync(file);
    await t.untilFile('v.log', (s) => s.state === 'vanished');
    expect(t.feed.files()[0].size).to.equal(null);
    writeFileSync(file, 'two\n');
    await t.untilCount(2);
    expect(t.texts()).to.deep.equal(['one', 'two']);
    expect(t.feed.files()[0].state).to.equal('tailing');
  });

  it('starts at the end of a 200 MB file at once, reading only its last blocks', async () => {
    const file = path.join(tmp.dir, 'big.log');
    // Sparse: 200 MB of hole, then real lines at the very end (as fast to make as to read).
    const tailText = numbered('end', 1, 2000);
    const fd = openSync(file, 'w');
    writeSync(fd, tailText, 200 * 1024 * 1024 - Buffer.byteLength(tailText));
    closeSync(fd);
    t = new FeedUnderTest([source('big.log')], { keepLines: 1000 });
    await t.feed.start();
    const s = t.feed.files()[0];
    expect(s.size).to.equal(200 * 1024 * 1024);
    expect(s.bytesRead).to.be.below(2 * 1024 * 1024, 'only the end was read');
    const tail = t.feed.tail('big.log', 1000, 0);
    expect(tail[0].text).to.equal('end 1001');
    expect(tail[999].text).to.equal('end 2000');
    appendFileSync(file, 'appended\n');
    await t.untilCount(1);
    expect(t.texts()).to.deep.equal(['appended']);
  });

  it('clips a 10 MB line and the lines of a binary file, and goes on', async () => {
    const file = path.join(tmp.dir, 'bin.log');
    writeFileSync(file, '');
    t = new FeedUnderTest([source('bin.log')], { maxLine: 4096 });
    await t.feed.start();
    appendFileSync(file, 'x'.repeat(10 * 1024 * 1024) + '\nafter the long line\n');
    await t.until(() => t!.texts().includes('after the long line'));
    expect(t.lines[0].clipped).to.equal(true);
    expect(t.lines[0].text).to.have.length(4096);
    expect(t.lines[1].text).to.equal('after the long line');
    const before = t.lines.length;
    appendFileSync(file, Buffer.concat([randomBytes(512 * 1024), Buffer.from('\nafter the binary\n')]));
    await t.until(() => t!.texts().includes('after the binary'));
    for (const l of t.lines.slice(before)) {
      expect(Buffer.byteLength(l.text)).to.be.at.most(4096 * 3, 'a clipped line holds at most the limit (replacement chars may widen it)');
      expect(l.text).not.to.match(/[\u0000-\u0008\u000b-\u001f]/);
    }
    expect(t.feed.files()[0].state).to.equal('tailing');
  });

  it('parses each line once: pino JSON keeps level, time and msg; plain lines get a level from their words', async () => {
    const file = path.join(tmp.dir, 'mixed.log');
    writeFileSync(file, '');
    t = new FeedUnderTest([source('mixed.log')]);
    await t.feed.start();
    appendFileSync(
      file,
      [
        JSON.stringify({ level: 50, time: 1700000000123, pid: 1, msg: 'provider failed' }),
        JSON.stringify({ level: 'warn', timestamp: '2024-05-01T10:00:00.000Z', message: 'slow' }),
        '2024-05-01 10:00:00 INFO server started',
        'Traceback (most recent call last):',
        'TypeError: cannot read properties of undefined',
        'WARNING: disk almost full',
        'no error was found today',
        '\u001b[31mERROR\u001b[0m colourful failure',
      ].join('\n') + '\n',
    );
    await t.untilCount(8);
    const [pinoLine, winston, info, tb, typeErr, warn, prose, ansi] = t.lines;
    expect(pinoLine).to.include({ level: 50, levelName: 'error', time: 1700000000123, msg: 'provider failed', isError: true, json: true });
    expect(winston).to.include({ level: 40, levelName: 'warn', time: Date.parse('2024-05-01T10:00:00.000Z'), msg: 'slow', isError: false });
    expect(info).to.include({ level: 30, isError: false, json: false });
    expect(tb).to.include({ levelName: 'error', isError: true });
    expect(typeErr.isError).to.equal(true);
    expect(warn.levelName).to.equal('warn');
    expect(prose).to.include({ levelName: 'info', isError: false });
    expect(ansi).to.include({ text: 'ERROR colourful failure', isError: true });
  });

  it('keeps a bounded replay: since() resumes within it, and says gone outside it', async () => {
    const file = path.join(tmp.dir, 'r.log');
    writeFileSync(file, '');
    t = new FeedUnderTest([source('r.log')], { replayLines: 5 });
    await t.feed.start();
    appendFileSync(file, numbered('l', 1, 8));
    await t.untilCount(8);
    expect(t.feed.since(5)).to.deep.include({ gone: false, oldest: 4 });
    expect(t.feed.since(5).lines.map((l) => l.text)).to.deep.equal(['l 6', 'l 7', 'l 8']);
    expect(t.feed.since(3).gone).to.equal(false, 'the line after 3 is still kept');
    expect(t.feed.since(2).gone).to.equal(true, 'line 3 was evicted');
    expect(t.feed.since(99).gone).to.equal(true, 'a seq from before a restart');
    expect(t.feed.since(8)).to.deep.include({ gone: false, lines: [] });
  });

  it('shutdown closes every watcher and file', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
    const fds = readdirSync('/proc/self/fd').length;
    mkdirSync(path.join(tmp.dir, 'd1'));
    mkdirSync(path.join(tmp.dir, 'd2'));
    for (const f of ['d1/a.log', 'd1/b.log', 'd2/c.log']) writeFileSync(path.join(tmp.dir, f), 'x\n');
    t = new FeedUnderTest(['d1/a.log', 'd1/b.log', 'd2/c.log', 'd3/missing.log'].map((f) => ({ name: f, path: path.join(tmp.dir, f), own: false })));
    await t.feed.start();
    expect(t.feed.watchers.open).to.equal(2, 'one watch per folder, shared');
    expect(process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length).to.equal(before + 2);
    await t.feed.dispose();
    t = undefined;
    await new Promise((r) => setTimeout(r, 20));
    expect(process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length).to.equal(before);
    expect(readdirSync('/proc/self/fd').length).to.equal(fds);
    rmSync(path.join(tmp.dir, 'd1'), { recursive: true });
  });
});
