import path from 'node:path';
import { Readable } from 'node:stream';
import type { RawEndpoint } from '../../host/endpoints.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import type { SessionService } from '../sessions/contract.js';
import type { Fence } from '../tools/fence.js';
import { workspaceOf } from './workspace-of.js';

const PREFIX = '/api/download/';

/** The workspace-relative path of the URL, each segment percent-decoded. */
function relPathOf(request: Request): string {
  const raw = new URL(request.url).pathname.slice(PREFIX.length);
  try {
    const rel = raw.split('/').map(decodeURIComponent).join('/');
    if (!rel) throw RpcError.invalidParams(`give the file's path: ${PREFIX}{path}`);
    return rel;
  } catch (err) {
    if (err instanceof RpcError) throw err;
    throw RpcError.invalidParams(`the path "${raw}" is not valid percent-encoding`);
  }
}

/**
 * `GET /api/download/{path}?session_id=…`: a workspace file, streamed, with its type, length
 * and single-range `Range` support (206, or 416 with `Content-Range: bytes *\/size`).
 * The path is confined to the workspace (`../`, absolute paths, symlinks out: 403).
 */
export function downloadEndpoint(sessions: () => SessionService, fence: Fence): RawEndpoint {
  return {
    path: PREFIX,
    methods: ['GET'],
    description: '?session_id=…: a workspace file, streamed (Content-Type, Content-Length, Range); escaping the workspace is 403',
    doc: {
      path: '/api/download/{path}',
      parameters: [{ name: 'session_id', in: 'query', required: true, description: 'the session whose workspace is used' }, { name: 'Range', in: 'header', description: 'one byte range (bytes=a-b, a-, -n)' }],
      responses: {
        '200': { description: 'the file', contentType: 'application/octet-stream' },
        '206': { description: 'the requested range (Content-Range)', contentType: 'application/octet-stream' },
        '403': { description: 'the path escapes the workspace (../, absolute, a symlink out)' },
        '416': { description: 'the range is outside the file (Content-Range: bytes */size)' },
      },
    },
    async handle(request) {
      const { workspace } = workspaceOf(sessions(), request);
      // Loaded on the first download, not with the daemon (mime-db is a large table).
      const [{ default: mime }, { default: parseRange }] = await Promise.all([import('mime-types'), import('range-parser')]);
      const rel = relPathOf(request);
      // The tools' fence: opened once and checked through the descriptor, so what is streamed is
      // what was checked (a symlink swapped in meanwhile gains nothing); the daemon's home is refused.
      const { handle, abs } = await fence.openFile(workspace, rel).catch((err: unknown) => {
        if (err instanceof RpcError && (err.data as { kind?: string } | undefined)?.kind === 'folder') {
          throw RpcError.invalidParams(`"${rel}" is a folder; download a file, or the workspace as a zip (POST /api/workspace/save)`, { path: rel, kind: 'folder' });
        }
        throw err;
      });
      let keep = false;
      try {
        const st = await handle.stat();
        const headers: Record<string, string> = {
          'content-type': mime.contentType(path.extname(abs) || 'bin') || 'application/octet-stream',
          'accept-ranges': 'bytes',
          'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(path.basename(abs))}`,
          'last-modified': st.mtime.toUTCString(),
        };
        let start = 0;
        let end = st.size - 1;
        let status = 200;
        const range = request.headers.get('range');
        if (range) {
          const parsed = parseRange(st.size, range, { combine: true });
          if (parsed === -1) {
            return new Response(JSON.stringify({ error: new RpcError(ErrorCodes.InvalidParams, `range "${range}" is outside the file's ${st.size} bytes`, { size: st.size }).toJSON() }), {
              status: 416,
              headers: { 'content-type': 'application/json', 'content-range': `bytes */${st.size}` },
            });
          }
          // -2 (malformed) and multi-range requests get the whole file, as RFC 9110 allows.
          if (parsed !== -2 && parsed.type === 'bytes' && parsed.length === 1) {
            ({ start, end } = parsed[0]);
            status = 206;
            headers['content-range'] = `bytes ${start}-${end}/${st.size}`;
          }
        }
        headers['content-length'] = String(st.size === 0 ? 0 : end - start + 1);
        if (st.size === 0) return new Response(null, { status, headers });
        // The stream owns the handle from here (autoClose): it closes at the end or on abort.
        const stream = handle.createReadStream({ start, end, highWaterMark: 64 * 1024 });
        keep = true;
        request.signal.addEventListener('abort', () => stream.destroy(), { once: true });
        return new Response(Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>, { status, headers });
      } finally {
        if (!keep) await handle.close();
      }
    },
  };
}
