import type { ToolCallContent, ToolDefinition, ToolResult } from '../contract.js';

/** Typed identity: lets a tool file infer its args type from its zod `parameters`. */
export function defineTool<A>(tool: ToolDefinition<A>): ToolDefinition<A> {
  return tool;
}

export function textContent(text: string): ToolCallContent {
  return { type: 'content', content: { type: 'text', text } };
}

export function textResult(text: string, extra: Partial<ToolResult> = {}): ToolResult {
  return { content: [textContent(text)], modelText: text, ...extra };
}

/** Caps a string at `max` UTF-16 units, saying how much was cut so the model knows. */
export function capText(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  return { text: `${text.slice(0, max)}\n… [truncated: ${text.length - max} more characters]`, truncated: true };
}

/** Folders that a walk skips: version control and dependency trees are noise for a model. */
export const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);
