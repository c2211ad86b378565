import { toJsonSchema } from '../../host/json-schema.js';
import { restRoutesOf, type MethodDecl, type RestRoute } from '../../host/method.js';

/** A REST route derived from one method's `rest` declaration. */
export interface CompiledRoute extends RestRoute {
  readonly decl: MethodDecl;
  /** Path parameters in order: the ROUTES.md name and the params field it fills. */
  readonly pathParams: readonly { raw: string; field: string }[];
  readonly segments: readonly string[];
}

export interface RouteMatch {
  route: CompiledRoute;
  /** Path parameters, already under their params field names. */
  params: Record<string, string>;
}

/** `session_id` → `sessionId`, `server_name` → `serverName`, `name` → `name`. */
export function camelCase(raw: string): string {
  return raw.replace(/[_-]+([a-z0-9])/gi, (_m, c: string) => c.toUpperCase());
}

const split = (p: string) => p.split('/').filter(Boolean);
const isParam = (seg: string) => seg.startsWith('{') && seg.endsWith('}');

/**
 * The route table, derived from the method table: one entry per `rest` declaration. Routes with
 * more literal segments win over parameterised ones (`/mcp/servers` before `/mcp/{x}`).
 */
export function compileRoutes(methods: readonly MethodDecl[]): CompiledRoute[] {
  const out: CompiledRoute[] = [];
  const seen = new Map<string, string>();
  for (const decl of methods) {
    for (const r of restRoutesOf(decl)) {
      const segments = split(r.path);
      const key = `${r.verb} ${segments.map((s) => (isParam(s) ? '{}' : s)).join('/')}`;
      const other = seen.get(key);
      if (other) throw new Error(`REST route ${r.verb} ${r.path} is declared by both "${other}" and "${decl.name}"`);
      seen.set(key, decl.name);
      // A tail resumes by seq: a GET stream without one could not honour Last-Event-ID.
      if (r.stream && !r.stream.by === !r.stream.select) {
        throw new Error(`REST route ${r.verb} ${r.path} of "${decl.name}" streams ${r.stream.event.name}: declare exactly one of by and select()`);
      }
      if (r.stream && r.verb === 'GET' && !r.stream.seq) {
        throw new Error(`REST route GET ${r.path} of "${decl.name}" streams ${r.stream.event.name} without seq(): a GET stream needs it to resume`);
      }
      const pathParams = segments.filter(isParam).map((s) => {
        const raw = s.slice(1, -1);
        return { raw, field: camelCase(raw) };
      });
      out.push({ ...r, decl, pathParams, segments });
    }
  }
  const literals = (r: CompiledRoute) => r.segments.filter((s) => !isParam(s)).length;
  return out.sort((a, b) => b.segments.length - a.segments.length || literals(b) - literals(a));
}

/** Finds the route for a verb and path; `allow` lists the verbs the path has when the verb has none. */
export function matchRoute(
  routes: readonly CompiledRoute[],
  verb: string,
  pathname: string,
): RouteMatch | { allow: string[] } | undefined {
  const parts = split(pathname);
  const allow: string[] = [];
  for (const route of routes) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = route.segments[i];
      if (isParam(seg)) {
        let value: string;
        try {
          value = decodeURIComponent(parts[i]);
        } catch {
          value = parts[i];
        }
        params[camelCase(seg.slice(1, -1))] = value;
      } else ok = seg === parts[i];
    }
    if (!ok) continue;
    if (route.verb === verb || (verb === 'HEAD' && route.verb === 'GET')) return { route, params };
    allow.push(route.verb);
  }
  return allow.length ? { allow: [...new Set(allow)] } : undefined;
}

type JsonSchema = { type?: unknown; properties?: Record<string, JsonSchema>; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; items?: JsonSchema };

/** The object part of a params schema (NoParams is `object | null`, optional objects are unions). */
export function objectSchemaOf(schema: Record<string, unknown>): JsonSchema | undefined {
  const s = schema as JsonSchema;
  if (s.properties || s.type === 'object') return s;
  for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) {
    const found = objectSchemaOf(alt as Record<string, unknown>);
    if (found) return found;
  }
  return undefined;
}

function typesOf(s: JsonSchema | undefined): string[] {
  if (!s) return [];
  const own = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  return [...own, ...[...(s.anyOf ?? []), ...(s.oneOf ?? [])].flatMap(typesOf)];
}

/**
 * Query-string values are strings; the method's schema says which fields are numbers, booleans
 * or arrays, so `?after=5` reaches the dispatcher as `{after: 5}`. Anything that does not convert
 * is left as given, and the dispatcher's validation explains what is wrong with it.
 */
export function paramsFromQuery(decl: MethodDecl, query: URLSearchParams): Record<string, unknown> {
  const props = objectSchemaOf(toJsonSchema(decl.params, 'input'))?.properties ?? {};
  const out: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    const types = typesOf(props[key]);
    if (types.includes('array')) {
      const itemTypes = typesOf(props[key].items);
      out[key] = values.flatMap((v) => v.split(',')).map((v) => coerce(v, itemTypes));
    } else out[key] = coerce(values[values.length - 1], types);
  }
  return out;
}

function coerce(value: string, types: string[]): unknown {
  if (types.includes('string') || types.length === 0) return value;
  if ((types.includes('integer') || types.includes('number')) && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  if (types.includes('null') && value === 'null') return null;
  return value;
}
