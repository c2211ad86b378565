import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ContentBlock, ToolCallContent, ToolResult } from '../tools/contract.js';

type McpBlock = CallToolResult['content'][number];

/**
 * MCP tool results → ACP tool-call content. ACP content blocks were designed to be MCP's, so
 * text, image, audio, resource_link and embedded resource pass through as they are; what the
 * model reads is their text, with a short stand-in for what is not text.
 */
export function toToolResult(result: CallToolResult): ToolResult {
  const blocks = (result.content ?? []) as McpBlock[];
  const content: ToolCallContent[] = blocks.map((b) => ({ type: 'content', content: toAcpBlock(b) }));
  const texts = blocks.map(modelTextOf).filter((t): t is string => t !== undefined);
  if (blocks.length === 0 && result.structuredContent !== undefined) {
    const text = JSON.stringify(result.structuredContent);
    content.push({ type: 'content', content: { type: 'text', text } });
    texts.push(text);
  }
  return {
    content,
    modelText: texts.join('\n'),
    rawOutput: result.structuredContent ?? undefined,
    isError: result.isError === true,
  };
}

function toAcpBlock(b: McpBlock): ContentBlock {
  switch (b.type) {
    case 'text':
      return pick(b, ['type', 'text', 'annotations', '_meta']);
    case 'image':
    case 'audio':
      return pick(b, ['type', 'data', 'mimeType', 'annotations', '_meta']);
    case 'resource_link':
      return pick(b, ['type', 'uri', 'name', 'title', 'description', 'mimeType', 'size', 'annotations', '_meta']);
    case 'resource':
      return pick(b, ['type', 'resource', 'annotations', '_meta']);
    default:
      return { type: 'text', text: JSON.stringify(b) };
  }
}

function modelTextOf(b: McpBlock): string | undefined {
  switch (b.type) {
    case 'text':
      return b.text;
    case 'image':
    case 'audio':
      return `[${b.type} ${b.mimeType}, ${Math.floor((b.data.length * 3) / 4)} bytes]`;
    case 'resource_link':
      return `[resource ${b.name}: ${b.uri}]`;
    case 'resource':
      return 'text' in b.resource && typeof b.resource.text === 'string'
        ? b.resource.text
        : `[resource ${b.resource.uri}${b.resource.mimeType ? ` (${b.resource.mimeType})` : ''}]`;
    default:
      return undefined;
  }
}

function pick(obj: object, keys: string[]): ContentBlock {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = (obj as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as ContentBlock;
}
