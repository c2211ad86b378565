// The daemon's HTTP routes (/api/*) from a panel: the bearer token goes in the Authorization
// header (never in a URL, where it would reach history, logs and Referer), and an error answer
// becomes an Error carrying the daemon's own message, so a panel can show it as it is.
import { currentToken } from '../token.js';

export class HttpError extends Error {
  constructor(message: string, readonly status: number, readonly code?: number) {
    super(message);
  }
}

export async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = currentToken();
  if (token) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(path, { ...init, headers, cache: 'no-store' });
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  let code: number | undefined;
  try {
    const body = (await res.json()) as { error?: { message?: string; code?: number } };
    if (body.error?.message) message = body.error.message;
    code = body.error?.code;
  } catch {
    /* not JSON: the status line says it */
  }
  throw new HttpError(message, res.status, code);
}

/** Hands a blob to the browser as a download (an object URL, revoked once the click is taken). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The file name a Content-Disposition header gives (RFC 6266 filename* first), or the fallback. */
export function filenameOf(res: Response, fallback: string): string {
  const cd = res.headers.get('content-disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star) {
    try {
      return decodeURIComponent(star[1]!);
    } catch {
      /* fall through */
    }
  }
  return /filename="([^"]+)"/i.exec(cd)?.[1] ?? fallback;
}
