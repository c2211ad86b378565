import { closeSync, constants, createReadStream, fstatSync, openSync, realpathSync } from 'node:fs';
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

/**
 * The page may talk only to its own origin (HTTP and WebSocket) and run only its own scripts.
 * Inline styles are allowed because mermaid (diagrams in replies) lays a diagram out by setting
 * style attributes and a <style> inside its SVG; nothing else the page shows may carry a style
 * (DOMPurify strips them from replies), and with every fetch confined to 'self' a style cannot
 * send anything anywhere.
 */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
};

/**
 * Serves a file of the static UI, if `pathname` names one; false otherwise. The page holds no
 * secret (the token reaches it in the URL fragment), so it is served without the token; which
 * is why only regular files whose real path is inside the static folder are served: a symlink
 * in it pointing elsewhere (`/etc`) must not publish that place to anyone who can connect.
 */
export function serveStatic(dir: string, pathname: string, res: ServerResponse, head: boolean, ifNoneMatch?: string): boolean {
  const rel = pathname === '/' ? 'index.html' : decodeSafe(pathname.slice(1));
  if (rel === undefined || rel.includes('\0')) return false;
  const file = confined(dir, rel);
  if (file === undefined) return false;
  let fd: number;
  try {
    // O_NOFOLLOW: the real path was checked; a symlink swapped in since is refused, not followed.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    return false;
  }
  // The bundle's names carry no hash, so the browser keeps each file but revalidates it on every
  // load (no-cache): an unchanged file costs a 304, a rebuilt one is never served stale.
  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const headers = { ...BASE_HEADERS, ...PAGE_HEADERS, 'cache-control': 'no-cache', etag, 'last-modified': stat.mtime.toUTCString() };
  if (ifNoneMatch !== undefined && ifNoneMatch.split(/\s*,\s*/).includes(etag)) {
    closeSync(fd);
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, {
    ...headers,
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': stat.size,
  });
  if (head) {
    closeSync(fd);
    res.end();
  } else createReadStream('', { fd }).pipe(res);
  return true;
}

/** The real path of `rel` under `dir` when it exists and stays inside the real `dir`. */
function confined(dir: string, rel: string): string | undefined {
  try {
    const root = realpathSync(dir);
    const real = realpathSync(path.resolve(root, rel));
    return real.startsWith(root + path.sep) ? real : undefined;
  } catch {
    return undefined;
  }
}

function decodeSafe(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
