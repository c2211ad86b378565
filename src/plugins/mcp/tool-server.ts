import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { describeIssues } from '../../host/dispatcher.js';
import type { Disposable } from '../../host/disposable.js';
import { toJsonSchema } from '../../host/json-schema.js';
import type { ContentBlock, ToolDefinition, ToolRegistry, ToolResult } from '../tools/contract.js';
import type { ServeMode, ServePolicy } from './serve-policy.js';

export interface ToolServerOptions {
  registry: ToolRegistry;
  /** Every call runs confined to this folder (absolute real path). */
  workspace: string;
  mode: ServeMode;
  /** What may run (the permissions plugin's decision for this mode, rules and grants). */
  policy: ServePolicy;
  logger: Logger;
  version: string;
  /**
   * A registry scope whose tools are served beside the global ones (`switchboard mcp
   * --with-servers` registers the mcp.json servers' tools under one).
   */
  scope?: string;
}

const READ_ONLY_KINDS = new Set(['read', 'search', 'think', 'fetch']);

/**
 * Switchboard's global tools as an MCP server (the SDK's low-level `Server`, since our tools
 * carry JSON Schema, not zod shapes for `McpServer`). Each call is checked against the mode,
 * validated by the tool's own schema, and run with the workspace as its fence and the MCP
 * request's AbortSignal. Returns the server and a disposable for its registry listener.
 */
export function createToolServer(opts: ToolServerOptions): { server: Server; subscription: Disposable } {
  const { registry, workspace, mode, policy, logger, scope } = opts;
  const server = new Server(
    { name: 'switchboard', title: 'Switchboard', version: opts.version },
    {
      capabilities: { tools: { listChanged: true } },
      instructions: `Switchboard's tools, confined to the workspace ${workspace} (mode: ${mode}).`,
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: registry.list(scope).map(toMcpTool) }));

  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const tool = registry.get(req.params.name, scope);
    if (!tool) return errorResult(`unknown tool "${req.params.name}"; tools/list shows the tools this server offers`);
    const parsed = tool.parameters.safeParse(req.params.arguments ?? {});
    if (!parsed.success) return errorResult(`invalid arguments for ${tool.name}: ${describeIssues(parsed.error.issues)}`);
    const sessionId = scope ?? `mcp-server:${extra.sessionId ?? 'stdio'}`;
    const refusal = policy.refusal(tool, parsed.data, workspace, sessionId);
    if (refusal) {
      logger.info({ tool: tool.name, kind: tool.kind, mode }, 'MCP call refused by the permission policy');
      return errorResult(refusal);
    }
    const progressToken = extra._meta?.progressToken;
    let progress = 0;
    try {
      const result = await tool.execute(parsed.data, {
        sessionId,
        workspace,
        toolCallId: `mcp-${String(extra.requestId)}-${randomUUID().slice(0, 8)}`,
        signal: extra.signal,
        mayRead: policy.readFilter(tool),
        progress: (update) => {
          if (progressToken === undefined) return;
          void extra
            .sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress: ++progress, ...(update.title ? { message: update.title } : {}) },
            })
            .catch(() => undefined);
        },
      });
      return toCallToolResult(result);
    } catch (err) {
      if (extra.signal.aborted) throw err;
      logger.warn({ tool: tool.name, err: (err as Error)?.message }, 'tool failed over MCP');
      return errorResult(`${tool.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  });

  const subscription = registry.onDidChange((e) => {
    if (e.sessionId === undefined || e.sessionId === scope) void server.sendToolListChanged().catch(() => undefined);
  });
  return { server, subscription };
}

function toMcpTool(tool: ToolDefinition): Tool {
  // Drop `$schema`: zod emits draft 2020-12, and some MCP clients only know draft-07.
  const { $schema: _dialect, ...schema } = tool.inputSchema ?? toJsonSchema(tool.parameters, 'input');
  const inputSchema = { ...schema, type: 'object' } as Tool['inputSchema'];
  const readOnly = READ_ONLY_KINDS.has(tool.kind);
  return {
    name: tool.name,
    ...(tool.title ? { title: tool.title } : {}),
    description: tool.description,
    inputSchema,
    annotations: { readOnlyHint: readOnly, destructiveHint: tool.kind === 'delete' || tool.kind === 'execute' || tool.kind === 'edit' },
  };
}

/** ACP tool content → MCP content: content blocks pass through, diffs and terminals become text. */
export function toCallToolResult(result: ToolResult): CallToolResult {
  const content: CallToolResult['content'] = [];
  for (const c of result.content) {
    if (c.type === 'content') content.push(toMcpBlock(c.content));
    else if (c.type === 'diff') content.push({ type: 'text', text: `--- ${c.path}\n+++ ${c.path}\n${c.newText}` });
    else content.push({ type: 'text', text: `[terminal ${c.terminalId}]` });
  }
  if (content.length === 0 && result.modelText) content.push({ type: 'text', text: result.modelText });
  return { content, ...(result.isError ? { isError: true } : {}) };
}

function toMcpBlock(block: ContentBlock): CallToolResult['content'][number] {
  if (['text', 'image', 'audio', 'resource_link', 'resource'].includes(block.type)) {
    return block as CallToolResult['content'][number];
  }
  return { type: 'text', text: JSON.stringify(block) };
}

function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}
