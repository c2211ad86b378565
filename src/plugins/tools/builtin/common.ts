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

/**
 * Control and invisible characters made visible (`\n`, `\x1b`, `\u202e`…), so what a person
 * approves reads as what will run: no carriage return overwriting, no bidi reordering.
 */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    if (named[c]) return named[c]!;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
