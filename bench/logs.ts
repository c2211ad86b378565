/**
 * Issue 14 benchmark: log lines from append to subscriber, three ways in the same run, each fed
 * by the same writer process (bench/support/log-writer.ts, pino-style JSON lines):
 *   bare    a bare `fs.watch` + read loop that only splits lines (the ceiling), with readSync
 *           (blocks the event loop while it reads) and with the callback fs.read (as the plugin);
 *   feed    the logs plugin's LogFeed in-process (tail, parse, redact, fan out);
 *   ws      the real `switchboard serve` daemon to a WebSocket client (logs/subscribe).
 * Throughput: lines/s for a burst written as fast as the writer can. Latency: p50/p99 from the
 * write to the line's arrival, one line per write every 2 ms. Goals: ≥ 0.8× bare, < 5 ms.
 * Asserts nothing.
 *
 *   npm run build && node dist/bench/logs.js [burstLines=200000] [latencyLines=1000] [only=sync,async,feed,ws]
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, read, readFileSync, readSync, rmSync, watch, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { LogFeed } from '../src/plugins/logs/log-feed.js';
import { BIN, ROOT, fmt, startServer } from './support/measure.js';

const burstLines = Number(process.argv[2] ?? 200_000);
const latencyLines = Number(process.argv[3] ?? 1000);
const only = new Set((process.argv[4] ?? 'sync,async,feed,ws').split(','));
const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-logs-'));
const now = () => performance.timeOrigin + performance.now();
const WRITER = path.join(ROOT, 'dist', 'bench', 'support', 'log-writer.js');

/** What a reader reports per line: its text (to read `t` from); or lines dropped for a slow reader. */
type Sink = (text: string | undefined, dropped?: number) => void;
interface Reader {
  start(file: string, sink: Sink): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The ceiling: watch the folder, read from the last position to the end, split on newlines.
 * `sync` reads with readSync (fastest, but blocks the event loop while it reads, which the
 * plugin must not); otherwise with the callback fs.read, as the plugin does.
 */
function bareReader(sync: boolean): () => Reader {
  return () => {
    let stop = () => {};
    return {
      async start(file, sink) {
        const fd = openSync(file, 'r');
        const buf = Buffer.allocUnsafe(256 * 1024);
        let pos = 0;
        let carry = '';
        let reading = false;
        let again = false;
        const lines = (n: number) => {
          pos += n;
          const text = carry + buf.toString('utf8', 0, n);
          let start = 0;
          for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
            sink(text.slice(start, nl));
            start = nl + 1;
          }
          carry = text.slice(start);
        };
        const readAsync = () => {
          read(fd, buf, 0, buf.length, pos, (err, n) => {
            if (err || n === 0) {
              reading = false;
              if (again) kick();
              return;
            }
            lines(n);
            readAsync();
          });
        };
        const kick = () => {
          if (reading) return void (again = true);
          reading = true;
          again = false;
          if (!sync) return readAsync();
          do {
            again = false;
            for (let n = readSync(fd, buf, 0, buf.length, pos); n > 0; n = readSync(fd, buf, 0, buf.length, pos)) lines(n);
          } while (again);
          reading = false;
        };
        const w = watch(path.dirname(file), (_e, name) => name === path.basename(file) && kick());
        stop = () => (w.close(), closeSync(fd));
      },
      async stop() {
        stop();
      },
    };
  };
}

function feedReader(): Reader {
  let feed: LogFeed | undefined;
  return {
    async start(file, sink) {
      feed = new LogFeed({
        sources: [{ name: 'bench', path: file, own: false }],
        logger: pino({ level: 'silent' }),
        maxLine: 64 * 1024,
        keepLines: 1000,
        replayLines: 10_000,
        pollMs: 1000,
        literals: () => [],
      });
      await feed.start();
      feed.listen((line) => sink(line.text));
    },
    async stop() {
      await feed?.dispose();
    },
  };
}

function wsReader(): Reader {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let ws: WebSocket | undefined;
  let home = '';
  return {
    async start(file, sink) {
      home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-logs-home-'));
      writeFileSync(path.join(home, 'config.json'), JSON.stringify({ logs: { files: [file] } }));
      server = await startServer([BIN, 'serve', '--port', '0'], { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn' });
      const token = readFileSync(path.join(home, 'token'), 'utf8').trim();
      ws = new WebSocket(server.url.replace('http:', 'ws:') + '/ws', { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
      await new Promise((r, j) => (ws!.once('open', r), ws!.once('error', j)));
      const subscribed = new Promise<void>((resolve) => {
        ws!.on('message', (data: Buffer) => {
          const m = JSON.parse(data.toString('utf8')) as { id?: number; method?: string; params?: { text: string; count: number } };
          if (m.id === 1) resolve();
          else if (m.method === 'logs/line') sink(m.params!.text);
          else if (m.method === 'logs/dropped') sink(undefined, m.params!.count);
        });
      });
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'logs/subscribe', params: { files: [file], maxQueue: 100_000 } }));
      await subscribed;
    },
    async stop() {
      ws?.terminate();
      server?.child.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function runWriter(file: string, lines: number, perWrite: number, everyMs: number): Promise<void> {
  const child = spawn(process.execPath, [WRITER, file, String(lines), String(perWrite), String(everyMs)], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const tOf = (text: string | undefined) => Number(/"t":([\d.]+)/.exec(text ?? '')?.[1]);

async function burst(make: () => Reader, label: string): Promise<{ rate: number; dropped: number }> {
  const file = path.join(dir, `burst-${label}.log`);
  writeFileSync(file, '');
  const reader = make();
  let got = 0;
  let dropped = 0;
  let first = 0;
  let last = 0;
  let resolve!: () => void;
  const all = new Promise<void>((r) => (resolve = r));
  // Started (the daemon listening and subscribed) before the first line is written.
  await reader.start(file, (text, lost = 0) => {
    if (got === 0) first = tOf(text);
    dropped += lost;
    got += text === undefined ? lost : 1;
    if (got >= burstLines && !last) {
      last = now();
      resolve();
    }
  });
  await runWriter(file, burstLines, 200, 0);
  await all;
  await reader.stop();
  return { rate: (burstLines - dropped) / ((last - first) / 1000), dropped };
}

async function latency(make: () => Reader, label: string): Promise<{ p50: number; p99: number }> {
  const file = path.join(dir, `latency-${label}.log`);
  writeFileSync(file, '');
  const reader = make();
  const samples: number[] = [];
  let resolve!: () => void;
  const all = new Promise<void>((r) => (resolve = r));
  await reader.start(file, (text) => {
    if (text === undefined) return;
    samples.push(now() - tOf(text));
    // Paced lines never overflow a queue: every one arrives.
    if (samples.length === latencyLines) resolve();
  });
  await runWriter(file, latencyLines, 1, 2);
  await all;
  await reader.stop();
  const sorted = samples.slice(Math.floor(samples.length * 0.05)).sort((a, b) => a - b); // skip warm-up
  return { p50: sorted[Math.floor(sorted.length / 2)], p99: sorted[Math.floor(sorted.length * 0.99)] };
}

const readers: [string, string, () => Reader][] = [
  ['sync', 'bare fs.watch + readSync', bareReader(true)],
  ['async', 'bare fs.watch + fs.read', bareReader(false)],
  ['feed', 'LogFeed in-process', feedReader],
  ['ws', 'switchboard serve → ws', wsReader],
];
console.log(`log lines from append to subscriber (${fmt(burstLines)} lines burst, ${fmt(latencyLines)} paced lines, one writer process)`);
const rates: Record<string, number> = {};
for (const [key, label, make] of readers) {
  if (!only.has(key)) continue;
  const { rate, dropped } = await burst(make, key);
  rates[key] = rate;
  const vs = key === 'sync' || !rates.sync ? '' : `(${fmt(rate / rates.sync, 2)}× readSync, ${fmt(rate / (rates.async ?? rate), 2)}× fs.read)`;
  const lat = await latency(make, key);
  console.log(
    `  ${label.padEnd(26)} ${fmt(rate).padStart(10)} lines/s ${vs.padEnd(32)} latency p50 ${fmt(lat.p50, 2)} ms, p99 ${fmt(lat.p99, 2)} ms${dropped ? `   (${fmt(dropped)} dropped for the slow reader)` : ''}`,
  );
}
rmSync(dir, { recursive: true, force: true });
