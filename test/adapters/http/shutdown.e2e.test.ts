import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { spawnServe } from '../../support/spawn-serve.js';
import { openSse } from '../../support/sse-client.js';

/** Every process below `pid` (children, grandchildren…). */
function descendants(pid: number): { pid: number; args: string }[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const children = new Map<number, { pid: number; args: string }[]>();
  for (const line of out.trim().split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const pp = Number(m[2]);
    children.set(pp, [...(children.get(pp) ?? []), { pid: Number(m[1]), args: m[3] }]);
  }
  const all: { pid: number; args: string }[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      all.push(c);
      walk(c.pid);
    }
  };
  walk(pid);
  return all;
}

/** Running, not merely a zombie waiting for a parent (in a container, pid 1 may never reap it). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('switchboard serve (e2e): shutdown with a tool running', function () {
  let fake: FakeProvider;
  let workspace: string;
  before(async () => {
    fake = await startFakeOpenAI();
    workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-shutdown-'));
  });
  after(async () => {
    await fake?.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('SIGTERM ends the turn stream with a final event, exits 0 and leaves no child process', async () => {
    const s = await spawnServe();
    try {
      await s.fetch('/profiles', {
        method: 'POST',
        body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-x', makeDefault: true }),
      });
      const { sessionId } = (await (await s.fetch('/sessions', { method: 'POST', body: JSON.stringify({ workspace, mode: 'bypass' }) })).json()) as { sessionId: string };
      fake.enqueue({ type: 'tools', calls: [{ name: 'shell', args: { command: 'sleep 300' } }] }, { type: 'text', chunks: ['never'] });
      const turn = await openSse(`${s.url}/sessions/${sessionId}/message`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}` },
        body: JSON.stringify({ message: 'sleep' }),
      });
      await turn.until((ev) => ev.some((e) => e.event === 'tool_call'));
      // Wait until the tool's process is really running under the daemon.
      let tree: { pid: number; args: string }[] = [];
      while (!tree.some((p) => /sleep 300/.test(p.args))) tree = descendants(s.cli.child.pid!);
      const kids = tree.map((p) => p.pid);
      const exit = await s.stop();
      expect(exit.code).to.equal(0);
      await turn.ended;
      expect(turn.events.at(-1)?.event).to.equal('shutdown');
      while (kids.some(alive)) await new Promise((r) => setTimeout(r, 20));
      expect(kids.filter(alive)).to.deep.equal([]);
    } finally {
      await s.stop();
    }
  });
});
