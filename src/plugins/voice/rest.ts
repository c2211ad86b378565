import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type busboy from 'busboy';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { wavHeader } from './audio/wav.js';
import { tooLarge } from './errors.js';
import type { VoiceService } from './service.js';
import { AudioNormalizer } from './tts-stream.js';

/**
 * `POST /api/stt` and `POST /api/tts` as web-standard handlers: a Request in (with the client's
 * AbortSignal: a client that goes away cancels the upstream request), a Response out. They hold
 * no logic beyond reading the body; the service does the work, as for voice/stt and voice/tts.
 * Errors are thrown: the HTTP adapter answers every RpcError in the one JSON error shape (and a
 * 413 with `connection: close`, since the rest of that body is left unread).
 */

/** Reads a body into memory, refusing it (413) as soon as it passes `limit`, not after. */
async function readCapped(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge('the audio', size, limit, 'bytes (at least)');
    }
    parts.push(Buffer.from(value));
  }
  return Buffer.concat(parts);
}

/** A multipart body's `file` (and the optional `language` / `mimeType` fields), with busboy. */
async function readMultipart(req: Request, limit: number): Promise<{ file: Buffer; mimeType?: string; fields: Record<string, string> }> {
  // Loaded with the first upload, not with the daemon.
  const { default: busboy } = await import('busboy');
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => (headers[k] = v));
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers, limits: { fileSize: limit, files: 1, fields: 20 } });
    } catch (err) {
      return reject(RpcError.invalidParams(`the multipart body cannot be read: ${(err as Error).message}`));
    }
    const fields: Record<string, string> = {};
    let file: Buffer | undefined;
    let mimeType: string | undefined;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      reject(err);
    };
    bb.on('field', (name, value) => (fields[name] = value));
    bb.on('file', (name, stream, info) => {
      if (name !== 'file') return void stream.resume();
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('limit', () => fail(tooLarge('the audio file', limit + 1, limit, 'bytes (at least)')));
      stream.on('end', () => {
        file = Buffer.concat(parts);
        mimeType = info.mimeType;
      });
    });
    bb.on('error', (err: Error) => fail(RpcError.invalidParams(`the multipart body cannot be read: ${err.message}`)));
    bb.on('close', () => {
      if (failed) return;
      if (!file) return fail(RpcError.invalidParams('the multipart body has no `file` field: send the recording as the field named file'));
      resolve({ file, mimeType: fields.mimeType ?? mimeType, fields });
    });
    const source = req.body ? Readable.fromWeb(req.body as unknown as NodeReadableStream) : Readable.from([]);
    source.on('error', (err) => fail(err));
    source.pipe(bb);
  });
}

const num = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? undefined : Number(v));

export function sttHandler(service: VoiceService) {
  return async (req: Request): Promise<Response> => {
    const limit = service.store.limits().maxAudioBytes;
    const declared = Number(req.headers.get('content-length') ?? NaN);
    if (declared > limit + 64 * 1024) throw tooLarge('the audio', declared, limit, 'bytes');
    const url = new URL(req.url);
    const type = req.headers.get('content-type') ?? undefined;
    let audio: Buffer;
    let mimeType = type;
    let language = url.searchParams.get('language') ?? undefined;
    if (type?.toLowerCase().startsWith('multipart/form-data')) {
      const m = await readMultipart(req, limit);
      audio = m.file;
      mimeType = m.mimeType;
      language = m.fields.language || language;
    } else audio = await readCapped(req.body, limit);
    const q = url.searchParams;
    const format = q.has('rate') ? { rate: num(q.get('rate')), width: num(q.get('width')), channels: num(q.get('channels')) } : undefined;
    const clean = format && (Object.fromEntries(Object.entries(format).filter(([, v]) => v !== undefined)) as { rate?: number });
    const result = await service.transcribe(audio, { mimeType, format: clean, language }, req.signal);
    return Response.json(result);
  };
}

/**
 * The body is JSON `{text, voice?}` (or plain text). The answer waits for the first audio, so
 * that a server that is down is a JSON error with its status; from then on the WAV streams
 * (sizes 0xFFFFFFFF: "until the end") while the rest is synthesized.
 */
export function ttsHandler(service: VoiceService) {
  return async (req: Request): Promise<Response> => {
    let stream: ReturnType<VoiceService['streams']['open']> | undefined;
    try {
      const type = req.headers.get('content-type') ?? '';
      let text: unknown;
      let voice: unknown;
      const raw = await req.text();
      if (type.includes('json')) {
        let body: { text?: unknown; voice?: unknown; input?: unknown };
        try {
          body = JSON.parse(raw) as typeof body;
        } catch {
          throw new RpcError(ErrorCodes.ParseError, 'the body is not valid JSON: send {"text": "…", "voice": "…"}');
        }
        text = body.text ?? body.input;
        voice = body.voice;
      } else text = raw;
      if (typeof text !== 'string') throw RpcError.invalidParams('`text` must be a string');
      if (voice !== undefined && typeof voice !== 'string') throw RpcError.invalidParams('`voice` must be a voice name');
      const sentences = service.sentencesOf(text);
      stream = service.streams.open('tts', req.signal);
      const it = service.synthesize(sentences, service.voiceOf(voice as string | undefined), stream.signal)[Symbol.asyncIterator]();
      const normalizer = new AudioNormalizer();
      const nextAudio = async () => {
        for (;;) {
          const r = await it.next();
          if (r.done) return undefined;
          const out = normalizer.accept(r.value);
          if (out) return out;
        }
      };
      const first = await nextAudio();
      if (!first) throw new RpcError(ErrorCodes.UpstreamError, 'the TTS voice server answered with no audio');
      const s = stream;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(Buffer.concat([wavHeader(first.format), first.pcm]));
        },
        async pull(controller) {
          try {
            const next = await nextAudio();
            if (next) controller.enqueue(next.pcm);
            else {
              s.dispose();
              controller.close();
            }
          } catch (err) {
            s.dispose();
            controller.error(err);
          }
        },
        async cancel() {
          s.dispose();
          await it.return?.(undefined);
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'audio/wav', 'cache-control': 'no-store', 'x-audio-format': `${first.format.rate}/${first.format.width * 8}/${first.format.channels}` } });
    } catch (err) {
      stream?.dispose();
      throw stream?.stopped ? RpcError.cancelled('stopped by voice/stop') : err;
    }
  };
}
