import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { ROOT } from './spawn-cli.js';

const SCHEMA_FILE = path.join(ROOT, 'node_modules', '@agentclientprotocol', 'sdk', 'schema', 'v1', 'schema.json');

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function validator(ref: string): ValidateFunction {
  let v = compiled.get(ref);
  if (v) return v;
  if (!ajv) {
    // The ACP schema uses x-* annotations and formats such as uint16: not strict, formats unchecked.
    ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ ...JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')), $id: 'acp' });
  }
  v = ajv.compile({ $ref: `acp${ref}` });
  compiled.set(ref, v);
  return v;
}

/** Errors of a value against one `$defs` entry of the ACP v1 schema the SDK ships; [] when valid. */
export function acpErrors(def: string, value: unknown): string[] {
  const v = validator(`#/$defs/${def}`);
  return v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
}

/** Errors of a whole JSON-RPC message sent by an agent (the schema's "Agent" message union). */
export function agentMessageErrors(message: unknown): string[] {
  const v = validator('#/anyOf/0');
  return v(message) ? [] : (v.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
}
