import { spawn } from 'node:child_process';
import { ErrorCodes, RpcError } from '../../../host/errors.js';
import { badAudio } from '../errors.js';

/**
 * Decodes a compressed recording (the browser's webm/opus, ogg/opus, mp3…) to 16-bit mono PCM
 * with ffmpeg. Only compressed input comes here; WAV and raw PCM are converted in process.
 * The child is killed when the signal aborts.
 */
export async function decodeWithFfmpeg(
  input: Buffer,
  what: string,
  rate: number,
  signal: AbortSignal,
  ffmpeg = 'ffmpeg',
): Promise<Buffer> {
  // -probesize 32 / -analyzeduration 0: start on the first bytes instead of buffering a probe.
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-probesize', '32', '-analyzeduration', '0', '-i', 'pipe:0', '-f', 's16le', '-acodec', 'pcm_s16le', '-ac', '1', '-ar', String(rate), 'pipe:1'];
  return new Promise<Buffer>((resolve, reject) => {
    if (signal.aborted) return reject(RpcError.cancelled());
    const child = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      settle(() => reject(RpcError.cancelled()));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) =>
      settle(() =>
        reject(
          e.code === 'ENOENT'
            ? new RpcError(
                ErrorCodes.Unavailable,
                `ffmpeg is needed to decode ${what} but was not found${ffmpeg === 'ffmpeg' ? ' on PATH' : ` at ${ffmpeg}`}: install Debian's "ffmpeg" package (apt-get install ffmpeg), or send WAV or raw PCM instead`,
                { package: 'ffmpeg', mimeType: what },
              )
            : new RpcError(ErrorCodes.InternalError, `ffmpeg could not start (${e.code ?? e.message})`),
        ),
      ),
    );
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (err = (err + d).slice(-2000)));
    // A decoder that stops reading early (bad input) closes its stdin: not our failure.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) =>
      settle(() => {
        const pcm = Buffer.concat(out);
        if (code === 0 && pcm.length > 0) return resolve(pcm);
        const last = err.trim().split('\n').pop() ?? '';
        reject(badAudio(`ffmpeg could not decode the ${what} audio${last ? `: ${last}` : code === 0 ? ': it holds no audio' : ''}`, { mimeType: what }));
      }),
    );
    child.stdin.end(input);
  });
}
