import type { PromptBlock, ProviderEvent } from './contract.js';

/** Appends an event, merging it into the previous one when both are deltas of the same kind. */
export function pushEvent(out: ProviderEvent[], ev: ProviderEvent): void {
  const last = out[out.length - 1];
  if (last && (ev.type === 'text' || ev.type === 'thinking') && last.type === ev.type) {
    last.text += ev.text;
    return;
  }
  out.push(ev.type === 'text' || ev.type === 'thinking' ? { ...ev } : ev);
}

/** The text of prompt blocks, for providers that take plain text (resources inlined with their URI). */
export function promptText(blocks: readonly PromptBlock[]): string {
  const parts: string[] = [];
  for (const b of blocks) {
    if (b.type === 'text') parts.push(String(b.text ?? ''));
    else if (b.type === 'resource') {
      const r = (b.resource ?? {}) as { uri?: string; text?: string };
      parts.push(`<resource uri="${r.uri ?? ''}">\n${r.text ?? '(binary content)'}\n</resource>`);
    } else if (b.type === 'resource_link') parts.push(`[resource: ${String(b.uri ?? b.name ?? '')}]`);
    else if (b.type === 'image') parts.push('[image]');
    else if (b.type === 'audio') parts.push('[audio]');
  }
  return parts.join('\n');
}
