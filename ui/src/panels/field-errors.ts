// The daemon answers bad params with its zod issues (error.data.issues: a path and a message
// each); a panel shows each beside the input it is about. Shared by every panel with a form.

export interface Issue {
  path: (string | number)[];
  message: string;
}

/** The zod issues of a daemon error, or none. */
export function issuesOf(err: unknown): Issue[] {
  const issues = (err as { data?: { issues?: unknown } } | null)?.data?.issues;
  return Array.isArray(issues) ? (issues as Issue[]) : [];
}

/**
 * Places each issue whose first path element (or its alias) is one of `fields` with `show`;
 * returns the fields that got one, in order (empty: nothing placed, show the message instead).
 */
export function placeIssues(
  issues: Issue[],
  fields: readonly string[],
  show: (field: string, message: string) => void,
  aliases: Record<string, string> = {},
): string[] {
  const placed: string[] = [];
  for (const i of issues) {
    const first = String(i.path[0] ?? '');
    const field = aliases[first] ?? first;
    if (!fields.includes(field)) continue;
    // A nested path says where inside the field (headers.X, args.0).
    const where = i.path.length > 1 ? `${i.path.slice(1).join('.')}: ` : '';
    show(field, `${where}${i.message}`);
    if (!placed.includes(field)) placed.push(field);
  }
  return placed;
}
