import { REDACTED, scrubSecrets } from './secrets.js';

/**
 * The daemon's secret rules by shape: the paths pino blanks in every log line it writes, and
 * the same rules applied to text the daemon did not write itself (lines of a tailed log file),
 * on top of redaction by value (secrets.ts: every secret this process knows). No I/O.
 */

/**
 * Paths pino blanks in every log line, wherever a secret can sit in what we log: profiles,
 * MCP server configs, HTTP headers, tokens. Plugins add their own structured fields under
 * these names rather than logging secrets as free text.
 */
export const REDACT_PATHS = [
  'apiKey', '*.apiKey', '*.*.apiKey', '*.*.*.apiKey',
  'token', '*.token', '*.*.token',
  'authorization', '*.authorization', '*.*.authorization',
  'headers', '*.headers', '*.*.headers', '*.*.*.headers',
  'env', '*.env', '*.*.env', '*.*.*.env',
  'secret', '*.secret', '*.*.secret',
  'password', '*.password', '*.*.password',
  '["x-ghost-key"]', '*["x-ghost-key"]', '*.*["x-ghost-key"]',
];

/** The key names of REDACT_PATHS (lower case): a foreign JSON line has them blanked at any depth. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(
  REDACT_PATHS.map((p) => /(?:\["([^"]+)"\]|([^.*[\]"]+))$/.exec(p)).flatMap((m) => (m ? [(m[1] ?? m[2]).toLowerCase()] : [])),
);

// Free text: `key=value`, `key: value`, `"key":"value"` for secret-looking names (the value may
// carry an auth scheme), bare bearer/basic credentials, and provider key shapes (`sk-…`).
const KEY_VALUE =
  /\b(api[_-]?key|x-api-key|(?:access|auth|refresh|bearer)?[_-]?token|authorization|password|passwd|secret|client[_-]?secret|x-ghost-key)(["']?\s*[:=]\s*["']?)((?:Bearer|Basic)\s+[^\s"'&,;[\\][^\s"'&,;\\]*|[^\s"'&,;[\\][^\s"'&,;\\]{2,})/gi;
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;
const KEY_SHAPES = /\b(?:sk-ant|sk|key)-[A-Za-z0-9_-]{8,}/g;
/** One cheap test first: most lines mention none of these and skip the three replaces. */
const MAYBE_SECRET = /key|token|secret|passw|authoriz|bearer|basic|sk-/i;
/** The same, plus the secret keys that are not secret-looking words (`headers`, `env`). */
const MAYBE_SECRET_OR_KEY = /key|token|secret|passw|authoriz|bearer|basic|sk-|"(?:headers|env)"/i;

/**
 * False when no rule here could change the text (one scan): the common line leaves as it came.
 * True means "look closer" (redactText, and the key walk for JSON), not that a secret is there.
 */
export function mayHoldSecrets(text: string, literals: readonly string[] = []): boolean {
  for (const lit of literals) if (lit.length >= 8 && text.includes(lit)) return true;
  if (scrubSecrets(text) !== text) return true;
  return MAYBE_SECRET_OR_KEY.test(text);
}

/**
 * Redacts secrets in free text: every secret this process knows (by value), `literals` (exact
 * values known otherwise, e.g. the token of the daemon that owns the home), then the shapes.
 */
export function redactText(text: string, literals: readonly string[] = []): string {
  let out = scrubSecrets(text);
  for (const lit of literals) if (lit.length >= 8 && out.includes(lit)) out = out.split(lit).join(REDACTED);
  if (!MAYBE_SECRET.test(out)) return out;
  return out
    .replace(KEY_VALUE, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`)
    .replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(KEY_SHAPES, REDACTED);
}

const MAYBE_SECRET_KEY = new RegExp(`"(?:${[...SECRET_KEYS].map((k) => k.replace(/[-]/g, '\\-')).join('|')})"\\s*:`, 'i');

/** Whether a JSON text may hold a secret key (so the caller only walks objects that might). */
export function mayHoldSecretKeys(json: string): boolean {
  return MAYBE_SECRET_KEY.test(json);
}

/**
 * A copy of a parsed JSON value with every property named in SECRET_KEYS blanked, at any depth
 * (pino's paths stop at four levels; a foreign file's nesting is anyone's guess).
 */
export function redactObject(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) return value.map((v) => redactObject(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.has(k.toLowerCase()) ? REDACTED : redactObject(v, depth + 1);
  }
  return out;
}
