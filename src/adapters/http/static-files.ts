import { createReadStream, existsSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_HEADERS } from './respond.js';

/** `static/` at the package root (from dist/src/adapters/http). */
export const STATIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../static');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** The page may talk only to its own origin (HTTP and WebSocket) and run only its own scripts. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
};

/**
 * Serves a file of the static UI, if `pathname` names one; false otherwise. The page holds no
 * secret (the token reaches it in the URL fragment), so it is served without the token.
 */
export function serveStatic(dir: string, pathname: string, res: ServerResponse, head: boolean, ifNoneMatch?: string): boolean {
  const rel = pathname === '/' ? 'index.html' : decodeSafe(pathname.slice(1));
  if (rel === undefined || rel.includes('\0')) return false;
  const file = path.resolve(dir, rel);
  if (!file.startsWith(dir + path.sep)) return false;
  if (!existsSync(file)) return false;
  const stat = statSync(file);
  if (!stat.isFile()) return false;
  // The bundle's names carry no hash, so the browser keeps each file but revalidates it on every
  // load (no-cache): an unchanged file costs a 304, a rebuilt one is never served stale.
  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const headers = { ...BASE_HEADERS, ...PAGE_HEADERS, 'cache-control': 'no-cache', etag, 'last-modified': stat.mtime.toUTCString() };
  if (ifNoneMatch !== undefined && ifNoneMatch.split(/\s*,\s*/).includes(etag)) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, {
    ...headers,
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': stat.size,
  });
  if (head) res.end();
  else createReadStream(file).pipe(res);
  return true;
}

function decodeSafe(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
