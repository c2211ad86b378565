import fc from 'fast-check';

/**
 * Hostile JSON-RPC frames for the fuzz suites: every kind of bad input a client (or an attacker)
 * can send a transport. A frame is a text or raw bytes; `lie` (Content-Length only) declares a
 * length that is not the body's. Whether a frame must be answered, and with which id, is worked
 * out from the bytes by `expectedAnswerId`, not declared here, so the two cannot disagree.
 */
export interface HostileFrame {
  kind: string;
  body: string | Buffer;
  /** Content-Length framing: declare this many bytes more (or fewer) than the body has. */
  lie?: number;
}

/** Fuzz runs are seeded and replayable: SWITCHBOARD_FUZZ_SEED picks the seed, SWITCHBOARD_FUZZ_RUNS scales the batches. */
export function fuzzParams(batches: number): { seed: number; numRuns: number; endOnFailure: boolean } {
  const seed = Number(process.env.SWITCHBOARD_FUZZ_SEED ?? 20261201);
  const scale = Number(process.env.SWITCHBOARD_FUZZ_RUNS ?? 1);
  return { seed, numRuns: Math.max(1, Math.round(batches * scale)), endOnFailure: process.env.SWITCHBOARD_FUZZ_SHRINK !== '1' };
}

/**
 * fc.assert, with a report short enough for a CI log: the seed and path that replay the failure,
 * the kinds of the frames of the counterexample (each shortened), and the first failure.
 */
export async function assertFuzz<T extends unknown[]>(property: fc.IAsyncProperty<T>, params: ReturnType<typeof fuzzParams>): Promise<void> {
  const out = await fc.check(property, params);
  if (!out.failed) return;
  const frames = (out.counterexample?.[0] ?? []) as HostileFrame[];
  const shown = frames.map((f) => `  ${f.kind}${f.lie ? ` (lie ${f.lie})` : ''}: ${String(f.body).slice(0, 160)}`).join('\n');
  const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
  throw new Error(
    `fuzz property failed; replay with SWITCHBOARD_FUZZ_SEED=${out.seed} (path ${out.counterexamplePath}, after ${out.numRuns} batches)\n` +
      `${cause.slice(0, 3000)}\nthe batch:\n${shown.slice(0, 6000)}`,
  );
}

export const STORED_SESSION_ID = 'sess_fuzzstored';

const j = (v: unknown) => JSON.stringify(v);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));

/** Ids of every JSON type, as raw JSON text (huge integers and floats written as they come). */
const idText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(j),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.constantFrom('1e400', '-0', '0.1', '1.0', '9007199254740993'),
  text.map(j),
  fc.constantFrom('null', 'true', 'false', '{}', '[]', '[1]', '{"a":1}', '""'),
);

/** Method names of every type and of every trap. */
const methodText = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'rpc.discover', '$/', '$/unknown', 'host/', '/', '').map(j),
  text.map(j),
  fc.constantFrom('null', '1', 'true', '{}', '[]', '["host/ping"]', '{"toString":1}'),
);

const paramsText = fc.oneof(
  fc.constant(undefined),
  anyJson.map(j),
  fc.constantFrom('null', '1', '"x"', 'true', '[]', '{}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}'),
);

/** Known methods with params that are certainly wrong (a required field of the wrong type). */
const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(anyJson, { maxLength: 2 }), fc.dictionary(fc.string(), anyJson, { maxKeys: 2 }));
const notNumber = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.array(anyJson, { maxLength: 2 }), fc.dictionary(fc.string(), anyJson, { maxKeys: 2 }));
const wrongParams: fc.Arbitrary<{ method: string; params: unknown }> = fc.oneof(
  fc
    .tuple(fc.constantFrom('session/prompt', 'session/get', 'session/delete', 'session/history', 'session/clear', 'session/load', 'session/fork', 'session/events', 'permissions/get', 'mcp/session_status'), notString)
    .map(([method, sessionId]) => ({ method, params: { sessionId } })),
  fc.constantFrom('session/set_mode', 'permissions/set_mode').map((method) => ({ method, params: { sessionId: STORED_SESSION_ID, modeId: 'no-such-mode', mode: 'no-such-mode' } })),
  fc.tuple(fc.constantFrom('profiles/get', 'profiles/delete', 'profiles/test', 'profiles/update'), notString).map(([method, name]) => ({ method, params: { name } })),
  notString.map((config) => ({ method: 'mcp/servers/add', params: { name: 'x', config } })),
  notNumber.map((protocolVersion) => ({ method: 'initialize', params: { protocolVersion } })),
  fc.constantFrom('host/ping', 'host/status', 'session/new', 'profiles/create').map((method) => ({ method, params: [1, 2] })),
  fc.constantFrom('session/new', 'profiles/create', 'session/prompt').map((method) => ({ method, params: 'a string' })),
);

/** A well-formed request text with the given raw pieces. */
const request = (id: string | undefined, method: string, params?: string, jsonrpc = '"2.0"') =>
  `{"jsonrpc":${jsonrpc}${id === undefined ? '' : `,"id":${id}`},"method":${method}${params === undefined ? '' : `,"params":${params}`}}`;

const DEEP = 10_000;

export function hostileFrame(opts: { bigBytes?: number } = {}): fc.Arbitrary<HostileFrame> {
  const big = opts.bigBytes ?? 5 * 1024 * 1024;
  const f = (kind: string, arb: fc.Arbitrary<string | Buffer>) => arb.map((body): HostileFrame => ({ kind, body }));
  const kinds = fc.oneof(
    f('random bytes', fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b))),
    f('random text', text.filter((t) => t.length > 0)),
    f('truncated JSON', fc.tuple(wrongParams, fc.nat()).map(([{ method, params }, cut]) => {
      const full = j({ jsonrpc: '2.0', id: 7, method, params });
      return full.slice(0, 1 + (cut % (full.length - 1)));
    })),
    f('non-object', fc.oneof(anyJson, fc.constantFrom('null', '""', '0', '[]')).map((v) => (typeof v === 'string' ? v : j(v))).filter((t) => !t.startsWith('{'))),
    f('batch', fc.array(fc.constantFrom(request('1', '"host/ping"'), '{}', '1'), { minLength: 0, maxLength: 3 }).map((items) => `[${items.join(',')}]`)),
    f('ids of every type', fc.tuple(idText, fc.constantFrom('"host/ping"', '"no/such"', '"session/get"')).map(([id, m]) => request(id, m, m === '"session/get"' ? '{"sessionId":5}' : undefined))),
    f('methods of every type', fc.tuple(fc.option(idText, { nil: undefined }), methodText, paramsText).map(([id, m, p]) => request(id, m, p))),
    f('known method, wrong params', fc.tuple(wrongParams, fc.integer()).map(([{ method, params }, id]) => j({ jsonrpc: '2.0', id, method, params }))),
    f('wrong jsonrpc', fc.tuple(fc.integer(), fc.constantFrom('"1.0"', '2', 'null', '"2.0 "')).map(([id, v]) => request(String(id), '"host/ping"', undefined, v))),
    f('notification', fc.tuple(fc.constantFrom('$/cancelRequest', '$/cancel_request', 'session/cancel', 'initialized', 'notifications/initialized', '$/progress', '$/setTrace', '$/logTrace', 'exit', '__proto__'), fc.oneof(
      fc.constant(undefined),
      anyJson,
      fc.record({ id: anyJson }),
      fc.record({ requestId: anyJson }),
      fc.record({ sessionId: fc.oneof(anyJson, fc.constant(STORED_SESSION_ID)) }),
      fc.record({ token: anyJson, value: anyJson }),
    )).map(([method, params]) => j({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) }))),
    f('cancellation sent as a request', fc.tuple(fc.integer(), fc.constantFrom('$/cancelRequest', '$/cancel_request'), anyJson).map(([id, method, params]) => j({ jsonrpc: '2.0', id, method, params }))),
    f('stray response', fc.tuple(idText, fc.oneof(anyJson.map((r) => `"result":${j(r)}`), anyJson.map((e) => `"error":${j(e)}`), fc.constant('"result":1,"error":{"code":1,"message":"x"}'))).map(([id, tail]) => `{"jsonrpc":"2.0","id":${id},${tail}}`)),
    f('10,000-deep nesting', fc.tuple(fc.integer(), fc.constantFrom('[', '{"a":')).map(([id, open]) => {
      const close = open === '[' ? ']' : '}';
      return `{"jsonrpc":"2.0","id":${id},"method":"host/ping","params":{"data":${open.repeat(DEEP)}1${close.repeat(DEEP)}}}`;
    })),
    f('10,000-deep frame', fc.constant('['.repeat(DEEP) + ']'.repeat(DEEP))),
    f('unicode junk', fc.tuple(fc.integer(), fc.string({ unit: 'grapheme', maxLength: 50 })).map(([id, s]) => j({ jsonrpc: '2.0', id, method: s, params: { [s]: s } }))),
    f('invalid UTF-8', fc.tuple(fc.integer(), fc.uint8Array({ minLength: 1, maxLength: 20 })).map(([id, junk]) =>
      Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"host/ping","params":{"data":"`), Buffer.from([0xff, 0xc0, ...junk.filter((b) => b !== 0x22 && b !== 0x5c && b !== 0x0a && b >= 0x20)]), Buffer.from('"}}')]),
    )),
  );
  const huge = fc.integer().map((id): HostileFrame => ({ kind: 'a 5 MB line', body: request(String(id), '"host/ping"', `{"data":"${'x'.repeat(big)}"}`) }));
  // About one 5 MB frame in a batch of forty: enough to cross the limit every batch, cheap to send.
  return fc.oneof({ weight: 40, arbitrary: kinds }, { weight: 1, arbitrary: huge });
}

/** Content-Length only: a frame whose declared length lies, in either direction. */
export function lyingFrame(): fc.Arbitrary<HostileFrame> {
  return fc
    .tuple(fc.integer(), fc.oneof(fc.integer({ min: -30, max: -1 }), fc.integer({ min: 1, max: 30 })))
    .map(([id, lie]) => ({ kind: 'lying length', body: request(String(id), '"host/ping"'), lie }));
}

/**
 * The id a frame must be answered with, if any: a JSON object that is a request (not a
 * response: those are never answered) whose id is a string or a finite number.
 */
export function expectedAnswerId(frame: HostileFrame, limit: number): string | number | undefined {
  if (frame.lie !== undefined) return undefined;
  const bytes = Buffer.isBuffer(frame.body) ? frame.body : Buffer.from(frame.body);
  if (bytes.length > limit) {
    // Answered -32004, with the id read from the first bytes when it is plainly there.
    const m = /^\{"jsonrpc":"2\.0","id":(-?\d{1,15}),/.exec(bytes.subarray(0, 100).toString());
    return m ? Number(m[1]) : undefined;
  }
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const m = v as Record<string, unknown>;
  if (!('method' in m) && ('result' in m || 'error' in m)) return undefined;
  const id = m.id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined;
}

/** How an id is counted: 1 and "1" differ; -0 and 0 do not (JSON writes both as 0). */
export const idKey = (id: unknown) => `${typeof id}:${String(id)}`;
