import type { CallContext } from '../../host/client.js';
import { RpcError } from '../../host/errors.js';
import type { PluginContext } from '../../host/plugin.js';
import type { PromptBlock } from '../providers/contract.js';
import { SESSION_MODES, SessionClear, SessionFork, SessionSetConfigOption, SessionSetMode } from './schemas.js';

/**
 * The slash commands an ACP client shows (`available_commands_update`). Each maps onto one host
 * method; a prompt that is just `/name [input]` runs it instead of a model turn.
 */
export const AVAILABLE_COMMANDS = [
  { name: 'clear', description: 'Clear the conversation history (the system prompt stays)' },
  { name: 'mode', description: 'Set the approval mode', input: { hint: SESSION_MODES.map((m) => m.id).join(' | ') } },
  { name: 'model', description: 'Switch to another profile (model and provider)', input: { hint: 'profile name' } },
  { name: 'fork', description: 'Copy this session, history included, into a new session' },
] as const;

export type CommandName = (typeof AVAILABLE_COMMANDS)[number]['name'];

export interface SlashCommand {
  name: CommandName;
  /** What was typed after the name, trimmed. */
  input: string;
}

/** The command a prompt invokes: one text block `/name [input]` naming a known command. */
export function slashCommandOf(prompt: readonly PromptBlock[]): SlashCommand | undefined {
  if (prompt.length !== 1 || prompt[0].type !== 'text' || typeof prompt[0].text !== 'string') return undefined;
  const m = /^\/([a-z][a-z_-]*)(?:\s+([\s\S]*))?$/.exec(prompt[0].text.trim());
  if (!m) return undefined;
  const known = AVAILABLE_COMMANDS.find((c) => c.name === m[1]);
  return known ? { name: known.name, input: (m[2] ?? '').trim() } : undefined;
}

/** A session title derived from the first prompt: its first line, whitespace collapsed, cut with a mark. */
export function titleOf(prompt: readonly PromptBlock[]): string | undefined {
  const first = prompt.find((b) => b.type === 'text' && typeof b.text === 'string' && b.text.trim());
  if (!first) return undefined;
  const line = String(first.text).trim().split('\n')[0].replace(/\s+/g, ' ');
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/**
 * Runs a slash command through the host method it stands for (validated like any call) and
 * answers in words; a refused command (an unknown mode, a running turn) is said, not thrown.
 */
export async function runSlashCommand(ctx: PluginContext, command: SlashCommand, sessionId: string, call: CallContext): Promise<string> {
  try {
    switch (command.name) {
      case 'clear': {
        const res = await ctx.call(SessionClear, { sessionId }, call);
        return `Cleared the history (${res.cleared} messages).`;
      }
      case 'mode':
        if (!command.input) return `Usage: /mode ${SESSION_MODES.map((m) => m.id).join(' | ')}`;
        await ctx.call(SessionSetMode, { sessionId, modeId: command.input }, call);
        return `Approval mode: ${command.input}.`;
      case 'model':
        if (!command.input) return 'Usage: /model <profile name> (profiles/list shows them)';
        await ctx.call(SessionSetConfigOption, { sessionId, configId: 'model', value: command.input }, call);
        return `Model: profile ${command.input}.`;
      case 'fork': {
        const fork = await ctx.call(SessionFork, { sessionId }, call);
        return `Forked into session ${fork.sessionId}.`;
      }
    }
  } catch (err) {
    return `/${command.name} failed: ${err instanceof RpcError ? err.message : 'internal error'}`;
  }
}
