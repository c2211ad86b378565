import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { openSse } from '../../support/sse-client.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';

/** Links test/support/stuck-tool-plugin into a home's plugins folder, as a user's plugin. */
function installStuckTool(home: string): void {
  const dir = path.join(home, 'plugins', 'stuck-tool');
  mkdirSync(dir, { recursive: true });
  const target = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../support/stuck-tool-plugin.js')).href;
  writeFileSync(path.join(dir, 'index.js'), `export { default } from ${JSON.stringify(target)};\n`);
}

/**
 * The real daemon while one session's tools try to hang or crash it: reads of FIFOs (more than
 * libuv has workers), a catastrophic regex, a 1 GB file, a 5 MB one-line file, and a tool that
 * never returns and ignores cancellation. Meanwhile /health answers and another session's tools
 * run; then cancel, delete and shutdown all go through.
 */
describe('switchboard serve (e2e): no tool blocks or crashes the daemon', function () {
  this.timeout(90_000);
  let s: Served;
  let fake: FakeProvider;
  let ws: string;
  const post = (p: string, body?: unknown) => s.fetch(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const message = (id: string, text: string) =>
    openSse(`${s.url}/sessions/${id}/message`, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ message: text }) });
  /** /health answers within a generous bound (a frozen loop would not answer at all). */
  const healthy = async () => {
    const res = await fetch(`${s.url}/health`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).to.equal(200);
  };

  before(async () => {
    fake = await startFakeOpenAI();
    ws = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-stuck-')));
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) execFileSync('mkfifo', [path.join(ws, name)]);
    writeFileSync(path.join(ws, 'big.log'), '');
    truncateSync(path.join(ws, 'big.log'), 1024 ** 3);
    writeFileSync(path.join(ws, 'bundle.js'), 'x'.repeat(5 * 1024 * 1024));
    writeFileSync(path.join(ws, 'README.md'), 'Switchboard is a local engine for agents, with plugins and transports!\n');
    writeFileSync(path.join(ws, 'ok.txt'), 'fine\n');
    s = await spawnServe([], {}, installStuckTool);
    expect((await post('/profiles', { name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-x', makeDefault: true })).status).to.equal(201);
  });
  after(async () => {
    if (s && s.cli.child.exitCode === null) await s.stop();
    await fake?.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('health and other sessions carry on; cancel, delete and shutdown are not held up', async () => {
    const a = ((await (await post('/sessions', { workspace: ws, mode: 'read-only' })).json()) as any).sessionId;
    const b = ((await (await post('/sessions', { workspace: ws })).json()) as any).sessionId;
    const reads = ['p1', 'p2', 'p3', 'p4', 'p5'].map((p) => ({ name: 'read_file', args: { path: p } }));
    fake.enqueue({
      type: 'tools',
      calls: [
        ...reads,
        { name: 'search_files', args: { pattern: '^(\\w+\\s?)+$' } },
        { name: 'read_file', args: { path: 'big.log' } },
        { name: 'read_file', args: { path: 'bundle.js' } },
        { name: 'write_file', args: { path: 'p1', content: 'x' } },
        { name: 'stuck', args: {} },
      ],
    });
    const turnA = await message(a, 'try to hang the daemon');
    const stuck = (ev: any[]) => ev.some((e) => e.event === 'tool_call_update' && e.data.update.status === 'in_progress' && e.data.update.toolCallId === turnA.events.find((x) => x.event === 'tool_call' && x.data.update.title === 'stuck')?.data.update.toolCallId);
    await turnA.until(stuck);
    await healthy();
    const results = turnA.events.filter((e) => e.event === 'tool_call_update' && ['completed', 'failed'].includes(e.data.update.status)).map((e) => e.data.update);
    const texts = results.map((u) => JSON.stringify(u.content));
    expect(texts.filter((t) => t.includes('FIFO'))).to.have.length(5);
    expect(texts.some((t) => t.includes('binary'))).to.equal(true);
    // The cut line's note is past the 32 KiB an update shows (the model gets it whole); rawOutput says so.
    expect(results.some((u) => u.rawOutput?.cutLines === 1 && JSON.stringify(u.content).includes('output truncated in this update'))).to.equal(true);

    // Another session's file tools still run while A is stuck.
    fake.enqueue({ type: 'tools', calls: [{ name: 'read_file', args: { path: 'ok.txt' } }] }, { type: 'text', chunks: ['read it'] });
    const turnB = await message(b, 'read ok.txt');
    await turnB.ended;
    const doneB = turnB.events.find((e) => e.event === 'tool_call_update' && e.data.update.status === 'completed');
    expect(JSON.stringify(doneB?.data.update.content)).to.contain('fine');
    await healthy();

    // The stuck tool ignores its signal; the turn ends anyway.
    fake.enqueue({ type: 'text', chunks: ['never sent'] });
    expect((await post(`/sessions/${a}/cancel`)).status).to.equal(200);
    await turnA.ended;
    expect(turnA.events.at(-1)?.data.stopReason).to.equal('cancelled');
    expect((await s.fetch(`/sessions/${a}`, { method: 'DELETE' })).status).to.equal(200);
    await healthy();
    const exit = await s.stop();
    expect(exit.code).to.equal(0);
  });
});
