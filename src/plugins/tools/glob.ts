/**
 * A small glob matcher (Node 20 has no stable `fs.glob` / `path.matchesGlob`). Used by
 * `find_files` and by permission rule patterns, so both agree on what a pattern means.
 *
 * `**` matches any run of characters including `/` (and `**\/` also matches nothing);
 * `*` and `?` stop at `/` unless `crossSlash` is set (command lines: `rm *` must match
 * `rm -rf /tmp/x`); `{a,b}` alternates; `[abc]` is a character class.
 */
export interface GlobOptions {
  crossSlash?: boolean;
  /** Case-insensitive match. */
  nocase?: boolean;
}

const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string, opts: GlobOptions = {}): RegExp {
  const key = `${opts.crossSlash ? 1 : 0}${opts.nocase ? 1 : 0}:${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const star = opts.crossSlash ? '.*' : '[^/]*';
  const one = opts.crossSlash ? '.' : '[^/]';
  let re = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += star;
    } else if (c === '?') re += one;
    else if (c === '{') {
      depth++;
      re += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (c === ',' && depth > 0) re += '|';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += escape(pattern[++i]!);
    } else re += escape(c);
  }
  while (depth-- > 0) re += ')';
  const out = new RegExp(`^${re}$`, opts.nocase ? 'i' : '');
  if (cache.size > 500) cache.clear();
  cache.set(key, out);
  return out;
}

export function matchGlob(pattern: string, text: string, opts: GlobOptions = {}): boolean {
  return globToRegExp(pattern, opts).test(text);
}

function escape(c: string): string {
  return /[.+^$()|[\]{}\\/]/.test(c) ? `\\${c}` : c;
}
