import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { ClientPeer } from '../../../src/host/client.js';
import { RpcError } from '../../../src/host/errors.js';
import type { ToolContext, ToolDefinition, ToolProgress, ToolResult } from '../../../src/plugins/tools/contract.js';

/** A real temp workspace (and a sibling folder outside it) for tool tests. */
export function tempWorkspace(): { root: string; ws: string; outside: string; remove(): void } {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-tools-')));
  const ws = path.join(root, 'ws');
  const outside = path.join(root, 'outside');
  for (const d of [ws, outside]) mkdirSync(d, { recursive: true });
  return { root, ws, outside, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export function toolContext(workspace: string, opts: { signal?: AbortSignal; client?: ClientPeer } = {}): ToolContext & { updates: ToolProgress[] } {
  const updates: ToolProgress[] = [];
  return {
    sessionId: 'sess-1',
    workspace,
    toolCallId: 'call-1',
    signal: opts.signal ?? new AbortController().signal,
    client: opts.client,
    updates,
    progress: (u) => void updates.push(u),
  };
}

/** Validates like the turn loop would, then runs. */
export async function run(tool: ToolDefinition, args: unknown, ctx: ToolContext): Promise<ToolResult> {
  return tool.execute(tool.parameters.parse(args), ctx);
}

export function textOf(r: ToolResult): string {
  return r.modelText ?? r.content.map((c) => (c.type === 'content' ? String(c.content.text ?? '') : '')).join('');
}

/** The RpcError a tool call was refused with (fails the test when it was not refused). */
export async function refusal(p: Promise<unknown>): Promise<RpcError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').to.be.instanceOf(RpcError);
  return err as RpcError;
}
