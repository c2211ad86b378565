import { z } from 'zod';

const cache = new WeakMap<z.ZodType, Record<string, unknown>>();

/**
 * JSON Schema (2020-12) of a zod schema, for `host/methods`, the OpenAPI document and the model's
 * tool parameters. Params are described as clients send them (`input`), results as received.
 */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const key = io === 'input' ? schema : (schema as unknown as { _out?: z.ZodType })._out ?? schema;
  const hit = io === 'input' ? cache.get(key) : undefined;
  if (hit) return hit;
  let out: Record<string, unknown>;
  try {
    out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  } catch {
    out = {};
  }
  if (io === 'input') cache.set(key, out);
  return out;
}
