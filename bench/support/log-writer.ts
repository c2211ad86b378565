/**
 * Appends pino-style JSON lines to a file, for bench/logs.ts. Each line carries `t`, the epoch
 * time in ms (sub-ms) it was written, so a reader can tell append→delivery latency.
 *
 *   node dist/bench/support/log-writer.js FILE LINES [linesPerWrite=200] [everyMs=0]
 * everyMs 0: as fast as possible; otherwise one write every everyMs ms. Prints "done" when finished.
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [file, linesArg, perWriteArg, everyArg] = process.argv.slice(2);
const total = Number(linesArg);
const perWrite = Number(perWriteArg ?? 200);
const everyMs = Number(everyArg ?? 0);
const fd = openSync(file, 'a');
const now = () => performance.timeOrigin + performance.now();
let i = 0;
const pad = 'x'.repeat(60);

function writeBatch(): void {
  let chunk = '';
  for (let k = 0; k < perWrite && i < total; k++, i++) {
    chunk += `{"level":30,"time":${Date.now()},"pid":${process.pid},"name":"bench","i":${i},"t":${now()},"msg":"bench line ${i} ${pad}"}\n`;
  }
  writeSync(fd, chunk);
}

if (everyMs === 0) {
  while (i < total) writeBatch();
  closeSync(fd);
  process.stdout.write('done\n');
} else {
  const timer = setInterval(() => {
    writeBatch();
    if (i >= total) {
      clearInterval(timer);
      closeSync(fd);
      process.stdout.write('done\n');
    }
  }, everyMs);
}
