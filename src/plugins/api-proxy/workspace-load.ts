import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import type yauzl from 'yauzl';
import type { z } from 'zod';
import type { RawEndpoint } from '../../host/endpoints.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import type { SessionService } from '../sessions/contract.js';
import type { Fence } from '../tools/fence.js';
import { STAGING_PREFIX } from './workspace-save.js';
import { LoadResult } from './schemas.js';
import { workspaceOf } from './workspace-of.js';

export interface ZipLimits {
  /** Largest archive accepted, compressed (the request body). */
  maxArchiveBytes: number;
  /** Largest total of the entries, uncompressed (declared and actually read). */
  maxBytes: number;
  maxEntries: number;
}

const S_IFMT = 0o170000;
const KINDS: Record<number, string> = { 0o120000: 'a symlink', 0o020000: 'a character device', 0o060000: 'a block device', 0o010000: 'a FIFO', 0o140000: 'a socket' };

const refused = (name: string, why: string) =>
  new RpcError(ErrorCodes.Forbidden, `the archive was refused, nothing was changed: entry "${name}" ${why}`, { entry: name });
const tooBig = (message: string, data: Record<string, unknown>) =>
  new RpcError(ErrorCodes.PayloadTooLarge, `the archive was refused, nothing was changed: ${message}`, data);

/** Why an entry's name may not be extracted (zip-slip, absolute, drive letters), or undefined. */
function badName(name: string): string | undefined {
  if (name.includes('\0')) return 'has a NUL in its name';
  if (name.includes('\\')) return 'has a backslash in its name (a Windows path that could climb out)';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is an absolute path';
  if (name.split('/').some((seg) => seg === '..')) return 'climbs out of the workspace with ".."';
  return undefined;
}

/** The request body (a zip, raw or as the first file of a multipart form) saved to a temp file. */
async function saveArchive(request: Request, file: string): Promise<void> {
  const type = request.headers.get('content-type') ?? '';
  if (/^multipart\/form-data/i.test(type)) {
    throw RpcError.invalidParams('send the zip as the raw body (Content-Type: application/zip), not as a multipart form');
  }
  if (!request.body) throw RpcError.invalidParams('the body is empty: send a zip archive');
  // The signal: a client that goes away mid-body ends this at once (and the temp folder goes).
  await pipeline(Readable.fromWeb(request.body as unknown as NodeWebStream<Uint8Array>), createWriteStream(file, { flags: 'wx', mode: 0o600 }), { signal: request.signal });
}

async function openZip(file: string): Promise<yauzl.ZipFile> {
  const { default: unzip } = await import('yauzl');
  return new Promise((resolve, reject) =>
    unzip.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: true }, (err, zip) =>
      err ? reject(RpcError.invalidParams(`the body is not a readable zip archive: ${err.message}`)) : resolve(zip),
    ),
  );
}

/** Checks every entry and extracts them under `stage`; the first refusal stops it. Returns the files written. */
async function extract(zip: yauzl.ZipFile, stage: string, limits: ZipLimits): Promise<{ files: string[]; bytes: number }> {
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw tooBig(`it has ${zip.entryCount} entries, over the limit of ${limits.maxEntries}`, { entries: zip.entryCount, limit: limits.maxEntries });
  }
  const files: string[] = [];
  let declared = 0;
  let actual = 0;
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      zip.close();
      reject(err instanceof RpcError ? err : RpcError.invalidParams(`the archive is damaged: ${(err as Error).message}`));
    };
    zip.on('error', (err: Error) =>
      fail(/absolute path|invalid relative path|invalid characters/.test(err.message) ? new RpcError(ErrorCodes.Forbidden, `the archive was refused, nothing was changed: ${err.message}`) : err),
    );
    zip.on('end', () => !failed && resolve({ files, bytes: actual }));
    zip.on('entry', (entry: yauzl.Entry) => {
      void (async () => {
        const name = entry.fileName;
        const why = badName(name);
        if (why) throw refused(name, why);
        const kind = KINDS[(entry.externalFileAttributes >>> 16) & S_IFMT];
        if (kind) throw refused(name, `is ${kind}, which is never extracted`);
        declared += entry.uncompressedSize;
        if (declared > limits.maxBytes) {
          throw tooBig(`its entries add up to more than ${limits.maxBytes} bytes uncompressed (a zip bomb?)`, { limit: limits.maxBytes });
        }
        const target = path.join(stage, name);
        if (name.endsWith('/')) {
          await fs.mkdir(target, { recursive: true });
          return zip.readEntry();
        }
        await fs.mkdir(path.dirname(target), { recursive: true });
        const input = await zip.openReadStreamPromise(entry);
        // Counts what really comes out, whatever the headers claim.
        const counter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            actual += chunk.length;
            if (actual > limits.maxBytes) return cb(tooBig(`it inflates to more than ${limits.maxBytes} bytes (a zip bomb?)`, { limit: limits.maxBytes }));
            cb(null, chunk);
          },
        });
        await pipeline(input, counter, createWriteStream(target, { flags: 'wx' }));
        files.push(name);
        zip.readEntry();
      })().catch(fail);
    });
    zip.readEntry();
  });
}

/** Moves the staged files into the workspace, each target confined first (a symlink in the workspace cannot redirect them). */
async function moveIn(stage: string, workspace: string, files: string[], fence: Fence): Promise<void> {
  const targets = await Promise.all(files.map(async (f) => ({ from: path.join(stage, f), to: (await fence.confine(workspace, f)).abs })));
  for (const t of targets) {
    await fs.mkdir(path.dirname(t.to), { recursive: true });
    await fs.rename(t.from, t.to);
  }
}

/** `POST /api/workspace/load?session_id=…` with a zip body: extracted into the workspace, or refused whole. */
export function workspaceLoadEndpoint(sessions: () => SessionService, limits: ZipLimits, fence: Fence): RawEndpoint {
  return {
    path: '/api/workspace/load',
    methods: ['POST'],
    description: `?session_id=… with a zip body, extracted into the workspace; zip-slip, absolute paths, symlinks and device files refused (403); over ${limits.maxEntries} entries or ${limits.maxBytes} bytes uncompressed refused (413); a refused archive changes nothing`,
    maxBodyBytes: limits.maxArchiveBytes,
    doc: {
      parameters: [{ name: 'session_id', in: 'query', required: true, description: 'the session whose workspace is used' }],
      request: { contentType: 'application/zip', description: 'the archive, as the raw body' },
      responses: {
        '200': { description: 'what was extracted', contentType: 'application/json', schema: LoadResult },
        '403': { description: 'zip-slip, absolute, symlink or device entry; nothing changed' },
        '413': { description: 'too many entries or too many bytes uncompressed (zip bomb); nothing changed' },
      },
    },
    async handle(request) {
      const { sessionId, workspace } = workspaceOf(sessions(), request);
      const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'sb-zip-'));
      // Staged inside the workspace, so the final moves are renames on one file system.
      const stage = path.join(workspace, `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`);
      try {
        const archive = path.join(tmp, 'upload.zip');
        await saveArchive(request, archive);
        await fs.mkdir(stage, { mode: 0o700 });
        const { files, bytes } = await extract(await openZip(archive), stage, limits);
        await moveIn(stage, workspace, files, fence);
        return Response.json({ session_id: sessionId, files: files.length, bytes } satisfies z.input<typeof LoadResult>);
      } finally {
        await fs.rm(tmp, { recursive: true, force: true });
        await fs.rm(stage, { recursive: true, force: true });
      }
    },
  };
}
