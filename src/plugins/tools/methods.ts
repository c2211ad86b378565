import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CallContext } from '../../host/client.js';
import { toJsonSchema } from '../../host/json-schema.js';
import { defineClientNotification, defineEvent, defineMethod, NoParams } from '../../host/method.js';
import type { ContentBlock, ServedTools, ToolDefinition, ToolResult } from './contract.js';
import { isDestructiveKind, isReadOnlyKind } from './kinds.js';
import type { ToolCallOutcome, ToolPipeline } from './pipeline.js';

/** An MCP `Tool` (the host tools are served in MCP's own shapes, so an MCP transport only relays). */
const McpTool = z
  .object({
    name: z.string(),
    title: z.string().optional(),
    description: z.string(),
    inputSchema: z.object({ type: z.literal('object') }).loose(),
    annotations: z.object({ readOnlyHint: z.boolean(), destructiveHint: z.boolean() }).loose(),
  })
  .loose();

/** An MCP content block: text, image, audio, resource_link or resource. */
const McpContent = z.object({ type: z.string() }).loose();

export const ToolsList = defineMethod({
  name: 'tools/list',
  description:
    "The host's global tools (and the --with-servers proxied ones) in MCP's Tool shape: name, title, description, inputSchema (JSON Schema), annotations (readOnlyHint, destructiveHint).",
  params: NoParams,
  result: z.object({ tools: z.array(McpTool) }),
  rest: { verb: 'GET', path: '/tools' },
});

export const ToolsCall = defineMethod({
  name: 'tools/call',
  description:
    "Runs a host tool through the one tool-call pipeline, in MCP's CallToolResult shape. The workspace and approval mode are the daemon's (switchboard mcp --workspace/--mode, SWITCHBOARD_MCP_WORKSPACE/_MODE), never the caller's; a call that would ask a person is refused, as a tool error that says what would let it run.",
  params: z.object({
    name: z.string().min(1),
    arguments: z.record(z.string(), z.unknown()).optional().nullable(),
    /** MCP request metadata: a `progressToken` gets `notifications/progress` while the tool runs. */
    _meta: z.object({ progressToken: z.union([z.string(), z.number()]).optional() }).loose().optional(),
  }),
  result: z.object({ content: z.array(McpContent), isError: z.boolean().optional() }),
  rest: { verb: 'POST', path: '/tools/call' },
});

/** The served tools changed (a plugin or proxied server added or removed one): MCP `notifications/tools/list_changed`. */
export const ToolsListChanged = defineEvent({
  name: 'tools/list_changed',
  description: 'The tools that tools/list answers changed.',
  payload: z.object({}),
});

/** MCP progress for a `tools/call` that carried a progressToken. */
export const ToolsProgress = defineClientNotification({
  name: 'notifications/progress',
  description: 'MCP: progress of a tools/call that carried _meta.progressToken (message: what the tool reported).',
  params: z.object({ progressToken: z.union([z.string(), z.number()]), progress: z.number(), message: z.string().optional() }),
});

export function toMcpTool(tool: ToolDefinition): z.input<typeof McpTool> {
  // Drop `$schema`: zod emits draft 2020-12, and some MCP clients only know draft-07.
  const { $schema: _dialect, ...schema } = tool.inputSchema ?? toJsonSchema(tool.parameters, 'input');
  return {
    name: tool.name,
    ...(tool.title ? { title: tool.title } : {}),
    description: tool.description,
    inputSchema: { ...schema, type: 'object' },
    annotations: { readOnlyHint: isReadOnlyKind(tool.kind), destructiveHint: isDestructiveKind(tool.kind) },
  };
}

const MCP_BLOCKS = new Set(['text', 'image', 'audio', 'resource_link', 'resource']);
const toMcpBlock = (block: ContentBlock): z.input<typeof McpContent> => (MCP_BLOCKS.has(block.type) ? block : { type: 'text', text: JSON.stringify(block) });

/** ACP tool content → MCP content: content blocks pass through, diffs and terminals become text. */
export function toCallToolResult(result: ToolResult): z.input<typeof ToolsCall.result> {
  const content: z.input<typeof McpContent>[] = [];
  for (const c of result.content) {
    if (c.type === 'content') content.push(toMcpBlock(c.content));
    else if (c.type === 'diff') content.push({ type: 'text', text: `--- ${c.path}\n+++ ${c.path}\n${c.newText}` });
    else content.push({ type: 'text', text: `[terminal ${c.terminalId}]` });
  }
  if (content.length === 0 && result.modelText) content.push({ type: 'text', text: result.modelText });
  return { content, ...(result.isError ? { isError: true } : {}) };
}

function resultOf(outcome: ToolCallOutcome): z.input<typeof ToolsCall.result> {
  if (outcome.status === 'completed' && outcome.result) return toCallToolResult(outcome.result);
  return { content: [{ type: 'text', text: outcome.text }], isError: true };
}

/**
 * `tools/call` through the pipeline: the caller (an MCP client, a REST script) gets the served
 * workspace and mode; its own id keys the gate, so no session's rules or grants apply to it.
 */
export async function callServedTool(pipeline: ToolPipeline, served: ServedTools, params: z.output<typeof ToolsCall.params>, call: CallContext) {
  const token = params._meta?.progressToken;
  let progress = 0;
  const outcome = await pipeline.run(
    {
      toolCallId: `mcp-${randomUUID().slice(0, 8)}`,
      name: params.name,
      arguments: params.arguments ?? {},
      sessionId: `mcp-server:${call.client.id}`,
      workspace: served.workspace,
      mode: served.mode,
      interactive: false,
      scope: served.scope,
      signal: call.signal,
      // No client: ACP fs/* and terminal/* belong to sessions, and nobody is asked over MCP.
    },
    {
      progress: (update) => {
        if (token === undefined) return;
        call.client.notify(ToolsProgress.name, { progressToken: token, progress: ++progress, ...(update.title ? { message: update.title } : {}) });
      },
    },
  );
  return resultOf(outcome);
}
