/**
 * Real speech engines from Debian packages for the test voice servers: flite (`slt` voice,
 * 16 kHz, well understood by pocketsphinx), espeak-ng (22,050 Hz, written progressively) and
 * pocketsphinx (16 kHz 16-bit mono). `missingEngines()` names the packages to install.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Pcm {
  rate: number;
  width: number;
  channels: number;
}

const BINARIES: Record<string, string> = { flite: 'flite', 'espeak-ng': 'espeak-ng', pocketsphinx_continuous: 'pocketsphinx', ffmpeg: 'ffmpeg' };

/** The Debian packages whose programs are missing (pocketsphinx-en-us is checked by its model folder). */
export function missingEngines(): string[] {
  const out: string[] = [];
  for (const [bin, pkg] of Object.entries(BINARIES)) if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) out.push(pkg);
  if (spawnSync('sh', ['-c', 'ls /usr/share/pocketsphinx/model/en-us >/dev/null 2>&1']).status !== 0) out.push('pocketsphinx-en-us');
  return out;
}

/** Skips a suite (with the install line) when the engines are not installed. */
export function enginesOrSkip(ctx: Mocha.Context): void {
  const missing = missingEngines();
  if (missing.length) {
    console.warn(`    (skipped: missing ${missing.join(', ')}; apt-get install -y ${missing.join(' ')})`);
    ctx.skip();
  }
}

/** The PCM of a canonical WAV written by flite or espeak-ng (found by its `data` chunk). */
export function wavPcm(buf: Buffer): { format: Pcm; pcm: Buffer } {
  const rate = buf.readUInt32LE(24);
  const channels = buf.readUInt16LE(22);
  const width = buf.readUInt16LE(34) / 8;
  const at = buf.indexOf('data', 12, 'latin1');
  return { format: { rate, width, channels }, pcm: buf.subarray(at + 8) };
}

/** flite: the whole sentence at once (it writes a file; its stdout is a socket here, not a pipe). */
export async function fliteSpeak(text: string, voice = 'slt', signal?: AbortSignal): Promise<{ format: Pcm; pcm: Buffer }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-flite-'));
  const file = path.join(dir, 'out.wav');
  try {
    await run('flite', ['-voice', voice, '-t', text, '-o', file], signal);
    return wavPcm(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** espeak-ng --stdout: WAV written progressively; `onPcm` gets the audio as it comes. */
export function espeakSpeak(text: string, onPcm: (pcm: Buffer) => void, signal?: AbortSignal): Promise<Pcm> {
  return new Promise((resolve, reject) => {
    const child = spawn('espeak-ng', ['-v', 'en-us', '--stdout', text], { stdio: ['ignore', 'pipe', 'ignore'] });
    const abort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', abort, { once: true });
    let head = Buffer.alloc(0);
    let format: Pcm | undefined;
    child.stdout.on('data', (d: Buffer) => {
      if (format) return onPcm(d);
      head = Buffer.concat([head, d]);
      if (head.length < 44) return;
      const parsed = wavPcm(head);
      format = parsed.format;
      if (parsed.pcm.length) onPcm(parsed.pcm);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      signal?.removeEventListener('abort', abort);
      if (format && code === 0) resolve(format);
      else reject(new Error(`espeak-ng exited with ${code}`));
    });
  });
}

/**
 * pocketsphinx decoding 16 kHz s16le mono while it arrives: `write` the audio, `end()` for the
 * transcript (one line per utterance, joined). Through `sh -c 'cat | …'` because a child's stdin
 * here is a socket, which pocketsphinx cannot read as a file.
 */
export function pocketsphinx(): { write(pcm: Buffer): void; end(): Promise<string>; kill(): void } {
  const child = spawn('sh', ['-c', 'cat | pocketsphinx_continuous -infile /dev/stdin -logfn /dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out += d));
  child.stdin.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    write: (pcm) => void child.stdin.write(pcm),
    async end() {
      child.stdin.end();
      await closed;
      return out.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

/** Any audio file → 16 kHz s16le mono with ffmpeg (what the OpenAI-style test server does with uploads). */
export function ffmpegToPcm16k(input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-f', 's16le', '-ac', '1', '-ar', '16000', 'pipe:1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg: ${err.trim().split('\n').pop()}`))));
    child.stdin.end(input);
  });
}

function run(cmd: string, args: string[], signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore', signal });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

/** Words of a transcript, lower-cased, for overlap checks. */
export function words(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9' ]+/g, ' ').split(/\s+/).filter(Boolean);
}

/** The share of `expected`'s words that appear in `got`. */
export function wordOverlap(expected: string, got: string): number {
  const g = new Set(words(got));
  const e = words(expected);
  return e.filter((w) => g.has(w)).length / Math.max(1, e.length);
}
