import type { z } from 'zod';
import type { RawEndpoint } from '../../host/endpoints.js';
import { toJsonSchema } from '../../host/json-schema.js';
import { objectSchemaOf, type CompiledRoute } from './routes.js';

type Schema = Record<string, unknown>;

const ERROR_SCHEMA: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'integer' }, message: { type: 'string' }, data: {} },
    },
  },
};

function strip(schema: Schema): Schema {
  const { $schema: _drop, ...rest } = schema;
  return rest;
}

/** The params schema minus the fields the path fills. */
function bodySchema(route: CompiledRoute): Schema {
  const full = strip(toJsonSchema(route.decl.params, 'input'));
  const fields = new Set(route.pathParams.map((p) => p.field));
  const obj = objectSchemaOf(full) as (Schema & { properties?: Record<string, Schema>; required?: string[] }) | undefined;
  if (!obj || fields.size === 0) return full;
  const properties = Object.fromEntries(Object.entries(obj.properties ?? {}).filter(([k]) => !fields.has(k)));
  const required = (obj.required ?? []).filter((k) => !fields.has(k));
  return { ...obj, properties, ...(required.length ? { required } : { required: undefined }) };
}

/**
 * The frames of a stream route, from its declaration: each is `id:` (the seq), `event:` (the
 * name) and `data:` one of the event's payloads, or, on a POST, the final `done` (the method's
 * result) or an `error`. OpenAPI 3.1 has no SSE item schema, so the frame is described as an object.
 */
function streamSchema(route: CompiledRoute): Schema {
  const stream = route.stream!;
  const payload = strip(toJsonSchema(stream.event.payload, 'output'));
  const data: Schema[] = [{ title: stream.event.name, description: stream.event.description, ...payload }];
  if (route.verb !== 'GET') data.push({ title: 'done', description: `the result of ${route.decl.name}`, ...strip(toJsonSchema(route.decl.result, 'output')) });
  data.push({ title: 'error', description: 'a client-safe error (e.g. -32009 Gone when the resume point was evicted)', ...(ERROR_SCHEMA.properties as { error: Schema }).error });
  return {
    type: 'object',
    description: `SSE frames of the \`${stream.event.name}\` event, selected by ${stream.by ? `\`${stream.by}\`` : 'its params'}`,
    required: ['event', 'data'],
    properties: {
      id: { type: 'string', description: 'the payload seq: send it back as Last-Event-ID to resume' },
      event: { type: 'string', description: route.verb === 'GET' ? 'the payload kind, or `error`' : 'the payload kind, then `done` or `error`' },
      data: { oneOf: data },
    },
  };
}

function operation(route: CompiledRoute): Schema {
  const parameters: Schema[] = route.pathParams.map((p) => ({
    name: p.raw,
    in: 'path',
    required: true,
    description: `fills the \`${p.field}\` param of ${route.decl.name}`,
    schema: { type: 'string' },
  }));
  const op: Schema = {
    operationId: `${route.decl.name.replace(/[^A-Za-z0-9]+/g, '_')}${route.verb === 'GET' ? '' : `_${route.verb.toLowerCase()}`}`,
    summary: route.decl.name,
    description: route.decl.description,
    parameters,
  };
  const body = bodySchema(route);
  if (route.verb === 'GET') {
    const props = (objectSchemaOf(body) as { properties?: Record<string, Schema>; required?: string[] } | undefined) ?? {};
    for (const [name, schema] of Object.entries(props.properties ?? {})) {
      parameters.push({ name, in: 'query', required: (props.required ?? []).includes(name), schema });
    }
    if (route.stream) parameters.push({ name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } });
  } else {
    op.requestBody = { required: false, content: { 'application/json': { schema: body } } };
  }
  const ok = route.stream
    ? { description: 'an event stream: `id:` is the seq, `event:` the kind; ends with `done` or `error`', content: { 'text/event-stream': { schema: streamSchema(route) } } }
      : { description: 'success', content: { 'application/json': { schema: strip(toJsonSchema(route.decl.result, 'output')) } } };
  op.responses = {
    [String(route.status ?? 200)]: ok,
    default: { description: 'an error: `{"error":{"code","message","data"}}`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  };
  return op;
}

/** A raw endpoint: its bodies are the endpoint's own (not JSON-RPC): the verbs, a line, and what its `doc` declares. */
function endpointOperations(e: RawEndpoint): Record<string, Schema> {
  const verbs = e.methods ?? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  const doc = e.doc;
  const schemaOf = (s: z.ZodType | undefined) => (s ? strip(toJsonSchema(s, 'input')) : {});
  const pathParams = [...(doc?.path ?? e.path).matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const parameters = [...pathParams, ...(doc?.parameters ?? []).map((p) => ({ ...p, required: p.required ?? false, schema: { type: 'string' } }))];
  const responses: Record<string, Schema> = {};
  for (const [status, r] of Object.entries(doc?.responses ?? {})) {
    responses[status] = { description: r.description, ...(r.contentType ? { content: { [r.contentType]: { schema: r.schema ? strip(toJsonSchema(r.schema, 'output')) : {} } } } : {}) };
  }
  responses.default = { description: "the endpoint's own response; errors in the one JSON shape", content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return Object.fromEntries(
    verbs.map((v) => [
      v.toLowerCase(),
      {
        operationId: `raw${(doc?.path ?? e.path).replace(/[^A-Za-z0-9]+/g, '_')}_${v.toLowerCase()}`,
        summary: `raw endpoint ${doc?.path ?? e.path}${!doc?.path && e.path.endsWith('/') ? '…' : ''}`,
        description: e.description,
        ...(parameters.length ? { parameters } : {}),
        ...(doc?.request ? { requestBody: { required: true, description: doc.request.description, content: { [doc.request.contentType]: { schema: schemaOf(doc.request.schema) } } } } : {}),
        responses,
      },
    ]),
  );
}

/** The OpenAPI 3.1 document of the REST bridge, generated from the same table as the routes. */
export function buildOpenApi(routes: readonly CompiledRoute[], version: string, endpoints: readonly RawEndpoint[] = []): Schema {
  const paths: Record<string, Record<string, Schema>> = {
    '/health': {
      get: {
        operationId: 'health',
        summary: 'liveness (no token needed)',
        security: [],
        responses: { '200': { description: 'alive', content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } } } } } } },
      },
    },
  };
  for (const route of routes) {
    (paths[route.path] ??= {})[route.verb.toLowerCase()] = operation(route);
  }
  for (const e of endpoints) paths[e.doc?.path ?? e.path] ??= endpointOperations(e);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard',
      version,
      description: 'The REST + SSE bridge of the Switchboard daemon. Each route calls one JSON-RPC method of the host.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the token in $SWITCHBOARD_HOME/token' } },
      schemas: { Error: ERROR_SCHEMA },
    },
    paths,
  };
}
