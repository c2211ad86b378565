// Reading a pasted Claude-Desktop / Cursor `{"mcpServers": {...}}` block in the page, so a person
// learns where their JSON is broken (line and column) before anything reaches the daemon. Each
// server's own fields are checked by the daemon (its zod declaration), not guessed at here.

export interface PastedServer {
  name: string;
  config: Record<string, unknown>;
}

export type Pasted = { ok: true; servers: PastedServer[] } | { ok: false; message: string; position?: number };

/** Line and column (1-based) of a character offset. */
export function lineCol(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** JSON.parse's message with the place spelled out (V8 gives a character offset, or "line L column C"). */
function syntaxError(text: string, err: Error): Pasted {
  const msg = err.message;
  const pos = /position (\d+)/.exec(msg);
  const lc = /line (\d+) column (\d+)/.exec(msg);
  let position = pos ? Number(pos[1]) : undefined;
  if (position === undefined && lc) {
    const lines = text.split('\n');
    position = lines.slice(0, Number(lc[1]) - 1).reduce((n, l) => n + l.length + 1, 0) + Number(lc[2]) - 1;
  }
  if (position === undefined && /end of (JSON|data) input/i.test(msg)) position = text.length;
  const where = position === undefined || lc ? '' : (({ line, column }) => ` (line ${line}, column ${column})`)(lineCol(text, position));
  return { ok: false, message: `Not valid JSON: ${msg}${where}`, position };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The servers of a pasted block: `{"mcpServers": {name: config}}` as the config files hold it,
 * or the inner `{name: config}` map alone (what people copy out of a README).
 */
export function parsePasted(text: string): Pasted {
  if (!text.trim()) return { ok: false, message: 'Paste an {"mcpServers": {...}} block first.' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return syntaxError(text, err as Error);
  }
  if (!isObject(value)) return { ok: false, message: `Expected a JSON object like {"mcpServers": {"name": {"command": "…"}}}, not ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'null' : `a ${typeof value}`}.` };
  let servers: unknown = value;
  if ('mcpServers' in value) servers = value.mcpServers;
  else if (Object.values(value).some((v) => !isObject(v))) return { ok: false, message: 'Expected an "mcpServers" key holding the servers by name.' };
  if (!isObject(servers)) return { ok: false, message: '"mcpServers" must be an object of servers by name, e.g. {"files": {"command": "npx", "args": […]}}.' };
  const entries = Object.entries(servers);
  if (!entries.length) return { ok: false, message: '"mcpServers" is empty: there is no server to add.' };
  // A server that is not an object goes to the daemon as is: its declaration says what it needs.
  return { ok: true, servers: entries.map(([name, config]) => ({ name, config: config as Record<string, unknown> })) };
}

/** The block again, holding only these servers (those not added yet), for the person to fix. */
export function unparse(servers: PastedServer[]): string {
  return JSON.stringify({ mcpServers: Object.fromEntries(servers.map((s) => [s.name, s.config])) }, null, 2);
}
