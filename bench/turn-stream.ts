/**
 * Benchmark: a fake provider streams 20,000 tokens as fast as it can. Measured: tokens/s received
 * by an ACP client through `switchboard stdio` (session/prompt → session/update chunks), beside a
 * bare relay (bench/bare-relay.ts: fetch + parse + one NDJSON line per delta) in the same run, and
 * the time to first token of each. Both clients are the same minimal NDJSON reader.
 *
 *   npm run build && node dist/bench/turn-stream.js [--tokens 20000] [--runs 7] [--paced]
 *
 * `--paced`: the fake writes one token per write (yielding between writes), so that readers see
 * about one token per network read and Switchboard cannot merge deltas: per-event cost shows.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI } from '../test/support/fake-provider.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const TOKENS = arg('tokens', 20_000);
const RUNS = arg('runs', 7);
const TOKEN = 'tok ';
const PACED = process.argv.includes('--paced');

/** Reads NDJSON lines from a child's stdout and hands each parsed message to `onMessage`. */
function lines(child: { stdout: NodeJS.ReadableStream & { setEncoding(e: BufferEncoding): unknown } }, onMessage: (m: any) => void): void {
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line) onMessage(JSON.parse(line));
    }
  });
}

interface Run {
  ttftMs: number;
  totalMs: number;
  chars: number;
  /** Messages the client read: the relay writes one per delta, Switchboard one per network read. */
  messages: number;
}

async function main(): Promise<void> {
  const fake = await startFakeOpenAI({ fallback: { type: 'tokens', count: TOKENS, token: TOKEN, paced: PACED } });
  const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));

  // The bare relay.
  const relay = spawn(process.execPath, [path.join(ROOT, 'dist', 'bench', 'bare-relay.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let relayWaiter: ((m: any) => void) | undefined;
  lines(relay, (m) => relayWaiter?.(m));
  const relayRun = () =>
    new Promise<Run>((resolve) => {
      const t0 = performance.now();
      let first = 0;
      let chars = 0;
      let messages = 0;
      relayWaiter = (m) => {
        if (m.delta) {
          if (!first) first = performance.now();
          chars += m.delta.length;
          messages++;
        } else if (m.done) resolve({ ttftMs: first - t0, totalMs: performance.now() - t0, chars, messages });
      };
      relay.stdin.write(`${fake.baseUrl}/chat/completions\n`);
    });

  // Switchboard over stdio, driven by a minimal ACP client.
  const sb = spawn(process.execPath, [path.join(ROOT, 'bin', 'switchboard.js'), 'stdio'], {
    env: { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let nextId = 1;
  const pending = new Map<number, (m: any) => void>();
  let onUpdate: ((m: any) => void) | undefined;
  lines(sb, (m) => {
    if (m.method === 'session/update') onUpdate?.(m.params);
    else if (m.id !== undefined) pending.get(m.id)?.(m);
  });
  const call = (method: string, params: unknown) =>
    new Promise<any>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (m) => (m.error ? reject(new Error(m.error.message)) : resolve(m.result)));
      sb.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  await call('initialize', { protocolVersion: 1, clientCapabilities: {} });
  await call('profiles/create', { name: 'bench', provider: 'openai-compatible', model: 'bench', baseUrl: fake.baseUrl });
  const sbRun = async (): Promise<Run> => {
    const { sessionId } = await call('session/new', {});
    let first = 0;
    let chars = 0;
    let messages = 0;
    onUpdate = (p) => {
      if (p.update.sessionUpdate !== 'agent_message_chunk') return;
      if (!first) first = performance.now();
      chars += p.update.content.text.length;
      messages++;
    };
    const t0 = performance.now();
    await call('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'go' }] });
    return { ttftMs: first - t0, totalMs: performance.now() - t0, chars, messages };
  };

  const relayRuns: Run[] = [];
  const sbRuns: Run[] = [];
  // One warm-up each, then alternate so both see the same machine state.
  await relayRun();
  await sbRun();
  for (let i = 0; i < RUNS; i++) {
    relayRuns.push(await relayRun());
    sbRuns.push(await sbRun());
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const expected = TOKENS * TOKEN.length;
  for (const [name, runs] of [['bare relay', relayRuns], ['switchboard', sbRuns]] as const) {
    if (runs.some((r) => r.chars !== expected)) throw new Error(`${name} lost tokens: ${runs.map((r) => r.chars).join(', ')} of ${expected} chars`);
  }
  const tps = (runs: Run[]) => median(runs.map((r) => TOKENS / (r.totalMs / 1000)));
  const relayTps = tps(relayRuns);
  const sbTps = tps(sbRuns);
  const relayTtft = median(relayRuns.map((r) => r.ttftMs));
  const sbTtft = median(sbRuns.map((r) => r.ttftMs));
  console.log(`turn-stream${PACED ? ' --paced' : ''}: ${TOKENS} tokens, ${RUNS} runs each (medians), Node ${process.version}, ${os.cpus().length} CPUs`);
  const msgs = (runs: Run[]) => median(runs.map((r) => r.messages));
  console.log(`  bare relay : ${Math.round(relayTps).toLocaleString('en')} tokens/s, first token after ${relayTtft.toFixed(2)} ms (${msgs(relayRuns)} NDJSON lines)`);
  console.log(`  switchboard: ${Math.round(sbTps).toLocaleString('en')} tokens/s, first token after ${sbTtft.toFixed(2)} ms (${msgs(sbRuns)} session/update chunks: deltas of one network read are merged)`);
  console.log(`  ratio ${(sbTps / relayTps).toFixed(2)}× the bare relay (goal ≥ 0.8×); added time to first token ${(sbTtft - relayTtft).toFixed(2)} ms (goal < 1 ms)`);

  relay.stdin.end();
  sb.stdin.end();
  await Promise.all([new Promise((r) => relay.once('exit', r)), new Promise((r) => sb.once('exit', r))]);
  await fake.close();
  rmSync(home, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
