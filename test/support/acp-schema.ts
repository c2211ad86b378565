import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import type Ajv2020Type from 'ajv/dist/2020.js';
import { ROOT } from './spawn-cli.js';

// ajv is CommonJS; its 2020-12 build is the default export of `ajv/dist/2020`.
const Ajv2020 = createRequire(import.meta.url)('ajv/dist/2020.js').default as typeof Ajv2020Type.default;

/** The ACP v1 JSON Schema that `@agentclientprotocol/sdk` ships. */
export const ACP_SCHEMA_FILE = path.join(ROOT, 'node_modules', '@agentclientprotocol', 'sdk', 'schema', 'v1', 'schema.json');

/** The schema definition of each agent response, by the method it answers. */
const RESPONSE_DEFS: Record<string, string> = {
  initialize: 'InitializeResponse',
  'session/new': 'NewSessionResponse',
  'session/load': 'LoadSessionResponse',
  'session/list': 'ListSessionsResponse',
  'session/delete': 'DeleteSessionResponse',
  'session/resume': 'ResumeSessionResponse',
  'session/close': 'CloseSessionResponse',
  'session/set_config_option': 'SetSessionConfigOptionResponse',
  'session/set_mode': 'SetSessionModeResponse',
  'session/prompt': 'PromptResponse',
};
const NOTIFICATION_DEFS: Record<string, string> = { 'session/update': 'SessionNotification' };
const REQUEST_DEFS: Record<string, string> = {
  'session/request_permission': 'RequestPermissionRequest',
  'fs/read_text_file': 'ReadTextFileRequest',
  'fs/write_text_file': 'WriteTextFileRequest',
  'terminal/create': 'CreateTerminalRequest',
};

/**
 * Checks every message an agent sends against the ACP schema: responses by the method of the
 * request they answer, notifications and requests by their method, errors by the Error shape.
 * Feed it what the client sent (`sent`) and what the agent sent (`received`).
 */
export class AcpValidator {
  private readonly ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  private readonly pending = new Map<string | number, string>();
  readonly problems: string[] = [];
  checked = 0;

  constructor() {
    this.ajv.addSchema(JSON.parse(readFileSync(ACP_SCHEMA_FILE, 'utf8')), 'acp');
  }

  private def(name: string): ValidateFunction {
    const v = this.ajv.getSchema(`acp#/$defs/${name}`);
    if (!v) throw new Error(`no ACP schema definition ${name}`);
    return v;
  }

  private check(def: string, value: unknown, what: string): void {
    const v = this.def(def);
    this.checked++;
    if (!v(value)) this.problems.push(`${what} does not match ${def}: ${this.ajv.errorsText(v.errors)} in ${JSON.stringify(value).slice(0, 300)}`);
  }

  sent(message: { id?: string | number; method?: string }): void {
    if (message.id !== undefined && message.method) this.pending.set(message.id, message.method);
  }

  received(message: { id?: string | number | null; method?: string; params?: unknown; result?: unknown; error?: unknown; jsonrpc?: string }): void {
    if (message.jsonrpc !== '2.0') this.problems.push(`not JSON-RPC 2.0: ${JSON.stringify(message).slice(0, 200)}`);
    if (message.method) {
      const def = message.id !== undefined ? REQUEST_DEFS[message.method] : NOTIFICATION_DEFS[message.method];
      if (def) this.check(def, message.params, `${message.method}`);
      return;
    }
    const method = message.id === undefined || message.id === null ? undefined : this.pending.get(message.id);
    if (message.error !== undefined) {
      this.check('Error', message.error, `error answering ${method ?? '?'}`);
      return;
    }
    const def = method ? RESPONSE_DEFS[method] : undefined;
    if (def) this.check(def, message.result, `result of ${method}`);
  }
}

let shared: InstanceType<typeof Ajv2020> | undefined;

function sharedValidator(ref: string): ValidateFunction {
  if (!shared) {
    shared = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    shared.addSchema(JSON.parse(readFileSync(ACP_SCHEMA_FILE, 'utf8')), 'acp');
  }
  return shared.getSchema(`acp${ref}`) ?? shared.compile({ $ref: `acp${ref}` });
}

/** Errors of a value against one `$defs` entry of the ACP v1 schema; [] when valid. */
export function acpErrors(def: string, value: unknown): string[] {
  const v = sharedValidator(`#/$defs/${def}`);
  return v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
}

/** Errors of a whole JSON-RPC message sent by an agent (the schema's "Agent" message union). */
export function agentMessageErrors(message: unknown): string[] {
  const v = sharedValidator('#/anyOf/0');
  return v(message) ? [] : (v.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
}
