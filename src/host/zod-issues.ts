import type { z } from 'zod';

/** A validation issue as clients get it in `error.data.issues`: where, what, and zod's code. */
export interface ClientIssue {
  path: string[];
  message: string;
  code: string;
}

/** The value at a path inside the input, or undefined when some key on the way is absent. */
function at(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/**
 * Zod issues for a client, with unions opened up. A failed union reports one issue for the
 * whole value ("needs either command or url"), which hides the field that is actually wrong.
 * When exactly one branch fails only on fields the input does have (it was clearly aiming at
 * that branch: it has `command`, so it is a stdio server), that branch's own issues are given,
 * each with its full path. Otherwise the union's message stands.
 */
export function clientIssues(issues: readonly z.core.$ZodIssue[], input: unknown, base: readonly PropertyKey[] = []): ClientIssue[] {
  const out: ClientIssue[] = [];
  for (const i of issues) {
    const path = [...base, ...i.path];
    if (i.code === 'invalid_union' && i.errors.length > 1) {
      const aimed = i.errors.filter((branch) => branch.length > 0 && branch.every((b) => b.path.length > 0 && at(input, [...path, ...b.path]) !== undefined));
      if (aimed.length === 1) {
        out.push(...clientIssues(aimed[0]!, input, path));
        continue;
      }
    }
    out.push({ path: path.map(String), message: i.message, code: i.code });
  }
  return out;
}
