import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { logged, logLines, type SpawnedCli } from '../support/spawn-cli.js';
import { lspStyleClient } from '../support/stdio-client.js';
import { tempHome } from '../support/temp-home.js';

interface Daemon {
  cli: SpawnedCli;
  client: MessageConnection;
}

/**
 * One home, two daemons, one session used by each in turn (the UI's `serve` and an editor's
 * `switchboard stdio` on the same machine): each turn is written after the other's, with its
 * seqs after the other's, into the log on disk, even after the other daemon compacted it (a
 * rename over the file this daemon had open). A third daemon then loads all of it, skipping
 * nothing.
 */
describe('e2e: two daemons on one home take turns in one session; nothing is lost', function () {
  this.timeout(120_000);
  const home = tempHome('sb-two-daemons-');
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-two-daemons-ws-'));
  let fake: FakeProvider;
  const daemons: Daemon[] = [];

  const boot = async (): Promise<Daemon> => {
    const d = lspStyleClient(home.dir);
    daemons.push(d);
    await d.client.sendRequest('initialize', { protocolVersion: 1, clientCapabilities: {} });
    return d;
  };
  /**
   * A prompt answered with 40 × `word` (one streamed chunk each), then the compaction of that
   * turn, which merges the chunks and renames the compacted copy over the log.
   */
  const turn = async (d: Daemon, sessionId: string, text: string, word: string) => {
    const compacted = (l: Record<string, any>) => l.msg === 'session log compacted' && l.sessionId === sessionId;
    const before = logLines(d.cli).filter(compacted).length;
    fake.enqueue({ type: 'tokens', count: 40, token: `${word} `, paced: true, intervalMs: 1 });
    const answer = await d.client.sendRequest<any>('session/prompt', { sessionId, prompt: [{ type: 'text', text }] });
    expect(answer.stopReason).to.equal('end_turn');
    await logged(d.cli, compacted, before + 1);
  };
  const history = async (d: Daemon, sessionId: string) =>
    ((await d.client.sendRequest<any>('session/history', { sessionId })).messages as { role: string; text?: string; content?: unknown }[]).map((m) =>
      m.role === 'assistant' ? `assistant: ${m.text}` : `${m.role}: ${JSON.stringify(m.content)}`,
    );

  before(async () => (fake = await startFakeOpenAI()));
  after(async () => {
    for (const d of daemons) await d.cli.kill('SIGKILL');
    await fake.close();
    home.remove();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('A, then B (which compacts), then A again: every turn in order in the log, and a third daemon loads them all', async () => {
    const a = await boot();
    await a.client.sendRequest('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl, apiKey: 'sk-test' });
    const { sessionId } = await a.client.sendRequest<any>('session/new', { cwd: workspace, mcpServers: [] });
    await turn(a, sessionId, 'one', 'alpha');

    const b = await boot();
    await b.client.sendRequest('session/load', { sessionId, cwd: workspace, mcpServers: [] });
    await turn(b, sessionId, 'two', 'beta');

    // A still holds the session as it was after its turn, and had the log open before B renamed a compacted copy over it.
    await turn(a, sessionId, 'three', 'gamma');
    const reread = logLines(a.cli).find((l) => /written by another process/.test(String(l.msg)));
    expect(reread, 'A read the log again before its turn').to.include({ sessionId });
    const expected = ['one', 'alpha', 'two', 'beta', 'three', 'gamma'];
    const asA = await history(a, sessionId);
    expect(asA.filter((m) => expected.some((e) => m.includes(e)))).to.have.length(6);

    // On disk: every event's seq after the one before it.
    const file = path.join(home.dir, 'sessions', `${sessionId}.jsonl`);
    const seqs = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.k === 'ev').map((r) => r.e.seq as number);
    expect(seqs.length).to.be.greaterThan(3);
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `seqs in order: ${seqs.join(',')}`).to.equal(true);

    // A third daemon loads the whole conversation, and skips no line of it.
    const c = await boot();
    await c.client.sendRequest('session/load', { sessionId, cwd: workspace, mcpServers: [] });
    const asC = await history(c, sessionId);
    expect(asC).to.deep.equal(asA);
    for (const text of expected) expect(asC.some((m) => m.includes(text)), text).to.equal(true);
    expect(logLines(c.cli).filter((l) => /skipped/.test(String(l.msg)))).to.deep.equal([]);
  });
});
