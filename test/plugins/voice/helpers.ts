import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { toWav } from '../../../src/plugins/voice/audio/wav.js';

export interface AudioNote {
  streamId: string;
  sessionId?: string;
  index: number;
  sentence: number;
  format: { rate: number; width: number; channels: number };
  data: string;
  /** performance.now() when it arrived. */
  at: number;
}

/** Collects voice/audio notifications; `waitFor(n)` resolves when n have arrived. */
export function collectAudio(client: MessageConnection): {
  notes: AudioNote[];
  waitFor(n: number, streamId?: string): Promise<AudioNote>;
  until(pred: (notes: AudioNote[]) => boolean): Promise<void>;
  pcm(streamId?: string): Buffer;
  clear(): void;
} {
  const notes: AudioNote[] = [];
  let waiters: (() => void)[] = [];
  client.onNotification('voice/audio', (p: Omit<AudioNote, 'at'>) => {
    notes.push({ ...p, at: performance.now() });
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  });
  const of = (id?: string) => notes.filter((n) => id === undefined || n.streamId === id);
  return {
    notes,
    waitFor: (n, id) =>
      new Promise((resolve) => {
        const test = () => (of(id).length >= n ? resolve(of(id)[n - 1]!) : waiters.push(test));
        test();
      }),
    until: (pred) =>
      new Promise((resolve) => {
        const test = () => (pred(notes) ? resolve() : waiters.push(test));
        test();
      }),
    pcm: (id) => Buffer.concat(of(id).map((n) => Buffer.from(n.data, 'base64'))),
    clear: () => void notes.splice(0),
  };
}

/** A 44-byte WAV header + PCM, for sending synthesized audio back to STT (the daemon's own encoder). */
export const wavOf = toWav;

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A listening socket that never accepts, with its accept queue filled: the kernel drops further
 * SYNs, so a connect hangs as it does to a powered-off Pi (without leaving loopback). Python,
 * because Node always accepts.
 */
export async function blackholePort(): Promise<{ port: number; close(): void }> {
  const py = `import socket,sys,time
s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(0)
fill=[]
for i in range(4):
  c=socket.socket(); c.setblocking(False)
  try: c.connect(s.getsockname())
  except BlockingIOError: pass
  fill.append(c)
print(s.getsockname()[1], flush=True)
time.sleep(600)`;
  const child: ChildProcess = spawn('python3', ['-c', py], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('error', reject);
  });
  // Let the filler connections settle in the queue.
  await new Promise((r) => setTimeout(r, 200));
  return { port, close: () => void child.kill('SIGKILL') };
}
