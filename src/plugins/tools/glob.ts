import { RpcError } from '../../host/errors.js';

/**
 * The glob matcher of `find_files`, `search_files` and permission rule patterns, so all three
 * agree on what a pattern means. It simulates the pattern as an automaton over the text (every
 * state at once, Thompson style), so a match costs O(text × pattern) whatever the input: a glob
 * compiled to a backtracking RegExp (`**\/**\/**…` against a long path, `*a*b*c*` against a long
 * command line) can take exponential time on the daemon's event loop.
 *
 * `**` matches any run of characters including `/` (and `**\/` also matches nothing);
 * `*` and `?` stop at `/` unless `crossSlash` is set (command lines: `rm *` must match
 * `rm -rf /tmp/x`); `{a,b}` alternates; `[abc]`, `[a-z]`, `[!x]` are character classes;
 * `\` quotes the next character.
 */
export interface GlobOptions {
  crossSlash?: boolean;
  /** Case-insensitive match. */
  nocase?: boolean;
}

type Token =
  | { t: 'lit'; c: string }
  | { t: 'one' }
  | { t: 'star' }
  | { t: 'globstar' }
  | { t: 'globstarSlash' }
  | { t: 'class'; negate: boolean; items: [string, string][] };

/** Brace alternatives are expanded up front; more than this is refused rather than slow. */
const MAX_ALTERNATIVES = 256;
const cache = new Map<string, (text: string) => boolean>();

export function compileGlob(pattern: string, opts: GlobOptions = {}): (text: string) => boolean {
  const key = `${opts.crossSlash ? 1 : 0}${opts.nocase ? 1 : 0}:${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const alternatives = expandBraces(opts.nocase ? pattern.toLowerCase() : pattern).map(tokenize);
  const fn = (text: string) => {
    const s = opts.nocase ? text.toLowerCase() : text;
    return alternatives.some((tokens) => simulate(tokens, s, opts.crossSlash ?? false));
  };
  if (cache.size > 500) cache.clear();
  cache.set(key, fn);
  return fn;
}

export function matchGlob(pattern: string, text: string, opts: GlobOptions = {}): boolean {
  return compileGlob(pattern, opts)(text);
}

function simulate(tokens: Token[], text: string, crossSlash: boolean): boolean {
  const m = tokens.length;
  let cur = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  const close = (set: Uint8Array) => {
    // Star-like tokens may match nothing: reaching one also reaches what follows it.
    for (let i = 0; i < m; i++) if (set[i] && isStar(tokens[i]!)) set[i + 1] = 1;
  };
  cur[0] = 1;
  close(cur);
  for (let p = 0; p < text.length; p++) {
    const c = text[p]!;
    next.fill(0);
    let any = false;
    for (let i = 0; i < m; i++) {
      if (!cur[i]) continue;
      const tok = tokens[i]!;
      switch (tok.t) {
        case 'lit':
          if (tok.c === c) next[i + 1] = 1;
          break;
        case 'one':
          if (crossSlash || c !== '/') next[i + 1] = 1;
          break;
        case 'class':
          if (inClass(tok, c)) next[i + 1] = 1;
          break;
        case 'star':
          if (crossSlash || c !== '/') next[i] = 1;
          break;
        case 'globstar':
          next[i] = 1;
          break;
        case 'globstarSlash':
          next[i] = 1;
          if (c === '/') next[i + 1] = 1;
          break;
      }
    }
    close(next);
    for (let i = 0; i <= m && !any; i++) any = next[i] === 1;
    if (!any) return false;
    [cur, next] = [next, cur];
  }
  return cur[m] === 1;
}

function isStar(t: Token): boolean {
  return t.t === 'star' || t.t === 'globstar' || t.t === 'globstarSlash';
}

function inClass(tok: Extract<Token, { t: 'class' }>, c: string): boolean {
  const found = tok.items.some(([lo, hi]) => c >= lo && c <= hi);
  return tok.negate ? !found : found;
}

function tokenize(pattern: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          out.push({ t: 'globstarSlash' });
        } else out.push({ t: 'globstar' });
      } else out.push({ t: 'star' });
      // Runs of stars add nothing but states.
      while (out.length > 1 && isStar(out.at(-1)!) && out.at(-2)!.t === out.at(-1)!.t) out.pop();
    } else if (c === '?') out.push({ t: 'one' });
    else if (c === '[' && pattern.indexOf(']', i + 2) > 0) {
      const end = pattern.indexOf(']', i + 2);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      const items: [string, string][] = [];
      for (let j = 0; j < body.length; j++) {
        if (body[j + 1] === '-' && j + 2 < body.length) {
          items.push([body[j]!, body[j + 2]!]);
          j += 2;
        } else items.push([body[j]!, body[j]!]);
      }
      out.push({ t: 'class', negate, items });
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) out.push({ t: 'lit', c: pattern[++i]! });
    else out.push({ t: 'lit', c });
  }
  return out;
}

/** `a{b,c{d,e}}f` → `abf`, `acdf`, `acef`; escapes and classes are left for the tokenizer. */
export function expandBraces(pattern: string): string[] {
  const open = findOpenBrace(pattern);
  if (open < 0) return [pattern];
  const parts: string[] = [];
  let depth = 0;
  let start = open + 1;
  let close = -1;
  for (let i = open + 1; i < pattern.length && close < 0; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    else if (c === '}') {
      parts.push(pattern.slice(start, i));
      close = i;
    } else if (c === ',' && depth === 0) {
      parts.push(pattern.slice(start, i));
      start = i + 1;
    }
  }
  // An unclosed `{` is an ordinary character.
  if (close < 0) return expandBraces(`${pattern.slice(0, open)}\\{${pattern.slice(open + 1)}`);
  const head = pattern.slice(0, open);
  const tails = expandBraces(pattern.slice(close + 1));
  const out: string[] = [];
  for (const p of parts) {
    for (const mid of expandBraces(p)) {
      for (const t of tails) {
        out.push(head + mid + t);
        if (out.length > MAX_ALTERNATIVES) throw RpcError.invalidParams(`the glob ${JSON.stringify(pattern.slice(0, 100))} expands to more than ${MAX_ALTERNATIVES} alternatives`);
      }
    }
  }
  return out;
}

function findOpenBrace(pattern: string): number {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === '{') return i;
  }
  return -1;
}

