import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import type { z } from 'zod';
import type { RawEndpoint } from '../../host/endpoints.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import type { SessionService } from '../sessions/contract.js';
import type { Fence } from '../tools/fence.js';
import { UploadResult } from './schemas.js';
import { workspaceOf } from './workspace-of.js';

const CHUNK = 64 * 1024;

/** The workspace-relative target: `path` (a file, or a folder ending in `/`), else the part's file name. */
function targetOf(hint: string | undefined, filename: string | undefined): string {
  const base = path.basename(filename ?? '');
  if (hint && !hint.endsWith('/')) return hint;
  if (!base || base === '.' || base === '..') throw RpcError.invalidParams('the uploaded part has no file name: give one, or ?path=<file>');
  return (hint ?? '') + base;
}

interface Received {
  temp: string;
  abs: string;
  rel: string;
  size: number;
}

/** Removes what an upload wrote so far (best effort: the folder may be gone already). */
async function removeAll(files: Iterable<string>): Promise<void> {
  await Promise.all([...files].map((f) => fs.rm(f, { force: true }).catch(() => undefined)));
}

/**
 * Reads a multipart body with busboy, each file streamed in 64 KB chunks to a temp file beside
 * its target and renamed in only when the whole request succeeded: a file over the cap (413),
 * a body cut short or a refused path leaves nothing behind.
 */
async function receive(request: Request, workspace: string, cap: number, fence: Fence): Promise<Received[]> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data/i.test(contentType)) {
    throw RpcError.invalidParams(`send the file as multipart/form-data (got "${contentType || 'no content type'}")`);
  }
  const { default: busboy } = await import('busboy');
  const bb = busboy({ headers: { 'content-type': contentType }, limits: { fileSize: cap, files: 50, fields: 50 }, highWaterMark: CHUNK, fileHwm: CHUNK });
  const url = new URL(request.url);
  const fields: Record<string, string> = {};
  const temps = new Set<string>();
  const received: Received[] = [];
  const writes: Promise<void>[] = [];
  const parts = new Set<Readable>();
  let tooLarge: string | undefined;
  bb.on('field', (name, value) => (fields[name] = value));
  bb.on('file', (_field, file, info) => {
    parts.add(file);
    // busboy errors a part it cannot finish (a body cut short): that must not be an unhandled
    // 'error' event while the checks below await; the pipe (or the final check) reports it.
    file.on('error', () => undefined);
    const write = (async () => {
      try {
        const { abs, rel } = await fence.confine(workspace, targetOf(url.searchParams.get('path') ?? fields.path, info.filename));
        await fs.mkdir(path.dirname(abs), { recursive: true });
        const temp = path.join(path.dirname(abs), `.${path.basename(abs)}.upload-${randomBytes(6).toString('hex')}`);
        temps.add(temp);
        // No 'data' listener before the pipe: it would start the flow while the checks above await.
        file.once('limit', () => (tooLarge = info.filename ?? rel));
        // The temp file's descriptor is checked: a folder swapped for a symlink meanwhile is refused.
        const handle = await fs.open(temp, 'wx');
        try {
          await fence.checkHandle(handle, await fs.realpath(workspace), temp, rel);
        } catch (err) {
          await handle.close();
          throw err;
        }
        const sink = handle.createWriteStream({ highWaterMark: CHUNK });
        await pipeline(file, sink);
        received.push({ temp, abs, rel, size: sink.bytesWritten });
      } catch (err) {
        file.resume();
        throw err;
      }
    })();
    // Settled (and reported) after the body is read; until then a refusal must not be "unhandled".
    write.catch(() => undefined);
    writes.push(write);
  });
  try {
    const body = request.body ? Readable.fromWeb(request.body as unknown as NodeWebStream<Uint8Array>) : Readable.from([]);
    const parsed = new Promise<void>((resolve, reject) => {
      bb.once('close', resolve);
      bb.once('error', reject);
    });
    // The pipeline below reports a parse error first; this one must not go unhandled meanwhile.
    parsed.catch(() => undefined);
    await pipeline(body, bb, { signal: request.signal }).catch((err: unknown) => {
      const cause = err instanceof RpcError ? err : (err as { cause?: unknown })?.cause;
      if (cause instanceof RpcError) throw cause;
      if (request.signal.aborted) throw err;
      // busboy's own errors ("Unexpected end of form", "Malformed part header"…) are the client's.
      throw RpcError.invalidParams(`malformed multipart body: ${(err as Error).message}`);
    });
    await parsed;
    const results = await Promise.allSettled(writes);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (tooLarge !== undefined) {
      throw new RpcError(ErrorCodes.PayloadTooLarge, `the file "${tooLarge}" is over the ${cap}-byte upload limit; nothing was saved`, { limit: cap });
    }
    if (!received.length) throw RpcError.invalidParams('the multipart body has no file part');
    for (const r of received) {
      await fs.rename(r.temp, r.abs);
      temps.delete(r.temp);
    }
    return received;
  } catch (err) {
    // A body cut short leaves the part being read open: end it so its write settles.
    for (const p of parts) if (!p.readableEnded) p.destroy(err instanceof Error ? err : new Error(String(err)));
    await Promise.allSettled(writes);
    await removeAll(temps);
    throw err;
  }
}

/** `POST /api/upload?session_id=…[&path=…]`: multipart files into the session's workspace. */
export function uploadEndpoint(sessions: () => SessionService, cap: number, fence: Fence): RawEndpoint {
  return {
    path: '/api/upload',
    methods: ['POST'],
    description: `?session_id=…[&path=<file or folder/>]: multipart file(s) into the workspace, streamed; over ${cap} bytes → 413 and nothing saved; escaping the workspace is 403`,
    // The multipart framing around a file at the cap (the per-file cap is busboy's).
    maxBodyBytes: cap + 1024 * 1024,
    doc: {
      parameters: [{ name: 'session_id', in: 'query', required: true, description: 'the session whose workspace is used' }, { name: 'path', in: 'query', description: 'target file, or folder ending in / (default: the part\'s file name)' }],
      request: { contentType: 'multipart/form-data', description: 'one or more file parts' },
      responses: { '201': { description: 'the files saved', contentType: 'application/json', schema: UploadResult }, '403': { description: 'the path escapes the workspace' }, '413': { description: 'a file over the cap; nothing saved' } },
    },
    async handle(request) {
      const { sessionId, workspace } = workspaceOf(sessions(), request);
      const files = await receive(request, workspace, cap, fence);
      const result: z.input<typeof UploadResult> = { session_id: sessionId, files: files.map((f) => ({ path: f.rel, size: f.size })) };
      return Response.json(result, { status: 201 });
    },
  };
}
