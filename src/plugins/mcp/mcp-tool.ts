import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ToolDefinition } from '../tools/contract.js';
import type { McpConnection } from './connection.js';
import { toToolResult } from './content.js';

/** Accepts any arguments object: the server validates against its own JSON Schema. */
const AnyArgs = z.record(z.string(), z.unknown()).default({});

/** `<server>__<tool>`, kept to the characters and length every provider accepts in tool names. */
export function sessionToolName(server: string, tool: string): string {
  return `${server}__${tool}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
}

/**
 * One MCP tool as a Switchboard tool: the server's input schema goes to the model unchanged,
 * the turn's AbortSignal cancels the call in flight (the SDK sends `notifications/cancelled`),
 * and the result comes back as ACP content.
 */
export function mcpToolDefinition(conn: McpConnection, tool: Tool): ToolDefinition<Record<string, unknown>> {
  const title = tool.title ?? tool.annotations?.title;
  return {
    name: sessionToolName(conn.name, tool.name),
    title: title ? `${title} (${conn.name})` : undefined,
    description: tool.description ?? `${tool.name}, a tool of the MCP server "${conn.name}"`,
    kind: tool.annotations?.readOnlyHint === true ? 'read' : 'other',
    parameters: AnyArgs,
    inputSchema: tool.inputSchema as Record<string, unknown>,
    describe: () => `${conn.name}: ${title ?? tool.name}`,
    async execute(args, ctx) {
      ctx.signal.throwIfAborted();
      try {
        return toToolResult(await conn.callTool(tool.name, args ?? {}, ctx.signal));
      } catch (err) {
        // The SDK rejects an aborted call with its own error; the turn loop knows AbortError.
        if (ctx.signal.aborted) throw new DOMException(`MCP call ${conn.name}/${tool.name} cancelled`, 'AbortError');
        const message = err instanceof Error ? err.message : String(err);
        return { content: [{ type: 'content', content: { type: 'text', text: message } }], modelText: message, isError: true };
      }
    },
  };
}
