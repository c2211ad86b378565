import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { restRoutesOf } from '../host/method.js';
import { toJsonSchema } from '../host/json-schema.js';
import { createApp } from './compose.js';

type Schema = { type?: unknown; properties?: Record<string, Schema>; required?: string[]; description?: string; anyOf?: Schema[]; enum?: unknown[]; items?: Schema };

/** Renders the method and event table of a host with every built-in plugin as Markdown. */
export async function renderMethodsDoc(): Promise<string> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'sb-docs-'));
  const app = await createApp({ home, logger: pino({ level: 'silent' }), env: { SWITCHBOARD_HOME: home } });
  try {
    const lines = [
      '# Switchboard methods',
      '',
      'Generated from the method table by `npm run docs` (do not edit by hand). `host/methods` returns the',
      'same table, with full JSON Schemas, at run time; `GET /openapi.json` describes the REST routes.',
      '',
    ];
    const byPlugin = new Map<string, string[]>();
    for (const m of app.host.methods()) {
      const owner = app.host.ownerOf(m.name) ?? '?';
      const rest = restRoutesOf(m).map((r) => `\`${r.verb} ${r.path}\`${r.stream ? ` (sse of \`${r.stream.event.name}\`)` : ''}`).join(', ');
      const section = byPlugin.get(owner) ?? [];
      section.push(
        `### \`${m.name}\``,
        '',
        m.description,
        '',
        ...(rest ? [`REST: ${rest}`, ''] : []),
        `Params: ${fields(toJsonSchema(m.params, 'input') as Schema)}`,
        '',
      );
      byPlugin.set(owner, section);
    }
    for (const [plugin, section] of byPlugin) lines.push(`## Plugin \`${plugin}\``, '', ...section);
    const toClient = app.host.clientMethods();
    if (toClient.length) {
      lines.push('## Host → client', '', 'Requests the host sends to a client (answers validated against their result schema) and notifications.', '');
      for (const m of toClient) {
        lines.push(
          `### \`${m.name}\` (host → client ${m.notification ? 'notification' : 'request'}, plugin \`${app.host.clientMethodOwner(m.name) ?? '?'}\`)`,
          '',
          m.description,
          '',
          `Params: ${fields(toJsonSchema(m.params, 'output') as Schema)}`,
          '',
        );
      }
    }
    const endpoints = app.host.endpoints.list();
    if (endpoints.length) {
      lines.push('## Raw HTTP endpoints', '', "Served by `switchboard serve` beside the routes above, after the same token, Host and Origin checks; their bodies are their own (`GET /openapi.json` has their parameters and schemas).", '');
      for (const e of [...endpoints].sort((a, b) => (a.doc?.path ?? a.path).localeCompare(b.doc?.path ?? b.path))) {
        lines.push(`- \`${(e.methods ?? ['any verb']).join(', ')} ${e.doc?.path ?? e.path}\`: ${e.description}`);
      }
      lines.push('');
    }
    const events = app.host.eventDecls();
    if (events.length) {
      lines.push('## Events', '');
      for (const e of events) lines.push(`- \`${e.name}\`: ${e.description}`);
      lines.push('');
    }
    return lines.join('\n');
  } finally {
    await app.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

function fields(schema: Schema): string {
  const obj = schema.anyOf?.find((s) => s.properties) ?? schema;
  const props = obj.properties;
  if (!props || Object.keys(props).length === 0) return 'none';
  const required = new Set(obj.required ?? []);
  return Object.entries(props)
    .map(([name, s]) => `\`${name}\`${required.has(name) ? '' : '?'}: ${typeOf(s)}`)
    .join(', ');
}

function typeOf(s: Schema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.type === 'array') return `${s.items ? typeOf(s.items) : 'unknown'}[]`;
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  return typeof s.type === 'string' ? s.type : 'unknown';
}
