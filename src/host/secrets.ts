/**
 * Redaction by value. Paths (pino's `redact`, `[redacted]` placeholders in views) catch secrets
 * where we put them; a secret echoed somewhere else (an MCP server's stderr, a provider's error
 * type, a URL in a message) is only caught by its value. Every secret this process learns (API
 * keys, header and env values, the auth token, credentials in a URL) is registered here, and
 * what leaves the process (errors, log lines, session logs) is scrubbed of them.
 *
 * One process-wide set on purpose: a secret is a fact about the process, whichever plugin
 * learned it, and the logger that must scrub it is created before any plugin.
 */
export const REDACTED = '[redacted]';

/** Shorter values are too likely to be ordinary words or numbers to be replaced everywhere. */
const MIN_SECRET_LENGTH = 6;
const known = new Set<string>();
let sorted: string[] | undefined;

export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || value === REDACTED || /^\$\{env:[^}]+\}$/.test(value)) return;
  if (known.has(value)) return;
  known.add(value);
  sorted = undefined;
  // Logs are JSON: a value with quotes or backslashes appears escaped there.
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) known.add(escaped);
}

const SECRET_NAME = /KEY|TOKEN|SECRET|PASS|PWD|AUTH|CRED|COOKIE|SESSION|PAT|JWT|DSN|PRIVATE|SIGN/i;

/**
 * An environment value given to a child process (an MCP server): registered when its name says
 * secret, or when it looks like a random key (long, no spaces or slashes, letters and digits). An
 * ordinary value (`production`, a path) is not, or it would vanish from every message.
 */
export function registerEnvSecret(name: string, value: string | undefined): void {
  if (!value) return;
  const mixed = value.length >= 8 && !/^[a-z]+$/.test(value) && !value.includes('/');
  if ((SECRET_NAME.test(name) && mixed) || (value.length >= 16 && !/[\s/]/.test(value) && /[a-z]/i.test(value) && /\d/.test(value))) registerSecret(value);
  registerUrlSecrets(value);
}

/** `text` with the given values (a server's own env and headers) replaced, then every known secret. */
export function scrubValues(text: string, values: Iterable<string>): string {
  let out = text;
  for (const v of [...values].filter((x) => x && x.length >= 4 && x !== REDACTED).sort((a, b) => b.length - a.length)) out = out.split(v).join(REDACTED);
  return scrubSecrets(out);
}

/** Registers the credentials a URL carries (`user:pw@`, secret-looking query values). */
export function registerUrlSecrets(url: string | undefined): void {
  if (!url) return;
  try {
    const u = new URL(url);
    registerSecret(decodeURIComponent(u.password));
    registerSecret(u.password);
    for (const [k, v] of u.searchParams) if (SECRET_PARAM.test(k)) registerSecret(v);
  } catch {
    /* not a URL */
  }
}

const SECRET_PARAM = /key|token|secret|passw|sig|auth|credential/i;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:"'<>]*:[^\s/@"'<>]+@/gi;
const URL_SECRET_PARAM = /([?&][A-Za-z0-9_.-]*(?:key|token|secret|passw|sig|auth|credential)[A-Za-z0-9_.-]*=)[^&\s"'<>#]+/gi;

/** `text` with every known secret, and any URL credentials, replaced by `[redacted]`. */
export function scrubSecrets(text: string): string {
  if (!text) return text;
  let out = text;
  if (known.size > 0) {
    sorted ??= [...known].sort((a, b) => b.length - a.length);
    for (const s of sorted) if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  if (out.includes('://')) out = out.replace(URL_USERINFO, `$1${REDACTED}@`).replace(URL_SECRET_PARAM, `$1${REDACTED}`);
  return out;
}

/** A URL as shown: credentials in it replaced by the placeholder. */
export function redactUrl(url: string): string {
  return url.replace(URL_USERINFO, `$1${REDACTED}@`).replace(URL_SECRET_PARAM, `$1${REDACTED}`);
}

/** A JSON-like value with its strings scrubbed (keys untouched, so its shape never changes). */
export function scrubDeep(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return scrubSecrets(v);
  if (depth > 8 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => scrubDeep(x, depth + 1));
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrubDeep(x, depth + 1)]));
}
