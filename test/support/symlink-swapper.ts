/**
 * A hostile process in the workspace: swaps `f` between a regular file and a symlink to a file
 * outside, and `d` between a real folder and a symlink to a folder outside, as fast as it can,
 * until killed. Prints "ready" once both exist. Used by the fence race test and its benchmark.
 *
 *   node symlink-swapper.js <workspace> <outsideFile> <outsideDir>
 */
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [ws, outsideFile, outsideDir] = process.argv.slice(2) as [string, string, string];
const f = path.join(ws, 'f');
const d = path.join(ws, 'd');
let n = 0;

function tryDo(op: () => void): void {
  try {
    op();
  } catch {
    // A tool may have replaced `f` meanwhile (write_file renames over it); go on swapping.
  }
  // Hold each state for a random moment (0 to ~0.2 ms): windows of every width, short and long.
  for (let i = Math.floor(Math.random() * 40_000); i > 0; i--) spin ^= i;
}
let spin = 0;

function swapOnce(): void {
  n++;
  // Interleaved so that each of `f` and `d` spends about half its time as a symlink.
  const tmpFile = path.join(ws, `.f.${n}`);
  tryDo(() => writeFileSync(tmpFile, 'INSIDE\n'));
  tryDo(() => renameSync(tmpFile, f));
  // A folder cannot be renamed over a symlink: move it aside and link; later, unlink and move it back.
  // write_file may have made a new `d` meanwhile: whatever is aside or in the way goes first.
  tryDo(() => rmSync(path.join(ws, '.d-away'), { recursive: true, force: true }));
  tryDo(() => renameSync(d, path.join(ws, '.d-away')));
  tryDo(() => symlinkSync(outsideDir, d));
  const tmpLink = path.join(ws, `.l.${n}`);
  tryDo(() => symlinkSync(outsideFile, tmpLink));
  tryDo(() => renameSync(tmpLink, f));
  tryDo(() => rmSync(d, { recursive: true, force: true }));
  tryDo(() => renameSync(path.join(ws, '.d-away'), d));
}

mkdirSync(d, { recursive: true });
writeFileSync(path.join(d, 'inner.txt'), 'INSIDE\n');
swapOnce();
process.stdout.write('ready\n');
for (;;) swapOnce();
