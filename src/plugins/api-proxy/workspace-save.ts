import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { RawEndpoint } from '../../host/endpoints.js';
import type { SessionService } from '../sessions/contract.js';
import type { Fence } from '../tools/fence.js';
import { jsonBody, SessionRef } from './schemas.js';
import { workspaceOf } from './workspace-of.js';

/** Staging folders of a load in progress (see workspace-load.ts): never part of a save. */
export const STAGING_PREFIX = '.sb-load-';

interface Entry {
  abs: string;
  rel: string;
  dir: boolean;
  mtime: Date;
  mode: number;
}

/**
 * The workspace's regular files and folders; symlinks and special files are left out (they could
 * point anywhere), and so is the daemon's home when the workspace holds it (its token and keys).
 */
async function walk(fence: Fence, root: string, rel = '', out: Entry[] = []): Promise<Entry[]> {
  const dir = path.join(root, rel);
  for (const d of await fs.readdir(dir, { withFileTypes: true })) {
    if (!rel && d.name.startsWith(STAGING_PREFIX)) continue;
    const r = rel ? `${rel}/${d.name}` : d.name;
    const abs = path.join(dir, d.name);
    if (fence.isHidden(abs)) continue;
    if (d.isDirectory()) {
      const st = await fs.lstat(abs);
      out.push({ abs, rel: r, dir: true, mtime: st.mtime, mode: st.mode });
      await walk(fence, root, r, out);
    } else if (d.isFile()) {
      const st = await fs.lstat(abs);
      out.push({ abs, rel: r, dir: false, mtime: st.mtime, mode: st.mode });
    }
  }
  return out;
}

/** `POST /api/workspace/save {session_id}`: the workspace as a zip, streamed as it is built. */
export function workspaceSaveEndpoint(sessions: () => SessionService, fence: Fence): RawEndpoint {
  return {
    path: '/api/workspace/save',
    methods: ['POST'],
    description: '{session_id}: the session workspace as a streamed zip (regular files and folders; symlinks left out)',
    doc: { request: { contentType: 'application/json', schema: SessionRef }, responses: { '200': { description: 'the zip, streamed', contentType: 'application/zip' } } },
    async handle(request) {
      const { session_id } = await jsonBody(request, SessionRef, 'POST /api/workspace/save');
      const { sessionId, workspace } = workspaceOf(sessions(), request, session_id);
      const entries = await walk(fence, await fs.realpath(workspace));
      const { default: yazl } = await import('yazl');
      const zip = new yazl.ZipFile();
      for (const e of entries) {
        if (e.dir) zip.addEmptyDirectory(e.rel, { mtime: e.mtime });
        else zip.addReadStreamLazy(e.rel, { mtime: e.mtime, mode: e.mode & 0o777 | 0o100000 }, (cb) => {
          // Through the fence: a file swapped for a symlink since the walk is refused, not followed.
          fence.openFile(workspace, e.rel).then((f) => cb(null, f.handle.createReadStream()), (err: Error) => cb(err, undefined as never));
        });
      }
      zip.end();
      request.signal.addEventListener('abort', () => (zip.outputStream as Readable).destroy(), { once: true });
      return new Response(Readable.toWeb(zip.outputStream as Readable) as unknown as ReadableStream<Uint8Array>, {
        headers: { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${sessionId}.zip"`, 'x-entry-count': String(entries.length) },
      });
    },
  };
}
