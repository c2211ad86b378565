import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';
import { RpcError } from '../../host/errors.js';

// Loaded on the first pattern (re2js is 260 KB of JavaScript): start-up does not pay for it.
let re2: typeof import('re2js') | undefined;
const loadRe2 = () => (re2 ??= createRequire(import.meta.url)('re2js') as typeof import('re2js'));

/** Longest grep pattern accepted. */
export const MAX_GREP_LENGTH = 512;

const META = /[\\^$.|?*+()[\]{}]/;

/**
 * A subscriber's grep, safe against hostile patterns: plain text is a substring match, and
 * anything else runs on RE2 (re2js), whose matching is linear in the line's length, so no
 * pattern can stall the event loop that every client shares (`(a+)+$` costs what `a` costs).
 * RE2 syntax: no lookaround or backreferences; `(?i)` for case-insensitive.
 */
export function compileGrep(pattern: string): (text: string) => boolean {
  if (!META.test(pattern)) return (text) => text.includes(pattern);
  let re: RE2JS;
  try {
    re = loadRe2().RE2JS.compile(pattern);
  } catch (err) {
    throw RpcError.invalidParams(`grep is not a pattern RE2 accepts (${(err as Error).message}); plain text matches as a substring`, {
      grep: pattern,
    });
  }
  return (text) => re.test(text);
}
