/**
 * Sentence splitting for speech, with the Unicode rules of `Intl.Segmenter` (ICU: it knows
 * "e.g." and "3.5", and non-Latin scripts) rather than a regex of our own.
 */

// Made on first use: building one loads ICU's break rules (~10 ms), too much for every start.
let segmenter: Intl.Segmenter | undefined;
const sentences = () => (segmenter ??= new Intl.Segmenter(undefined, { granularity: 'sentence' }));

/** A sentence longer than this is cut at a comma or space, so a run-on reply still starts early. */
const MAX_SENTENCE_CHARS = 400;

function cutLong(s: string): string[] {
  const out: string[] = [];
  let rest = s;
  while (rest.length > MAX_SENTENCE_CHARS) {
    const window = rest.slice(0, MAX_SENTENCE_CHARS);
    const at = Math.max(window.lastIndexOf(', '), window.lastIndexOf('; '));
    const cut = at > MAX_SENTENCE_CHARS / 4 ? at + 2 : Math.max(window.lastIndexOf(' ') + 1, MAX_SENTENCE_CHARS / 2);
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) out.push(rest);
  return out;
}

/** Whole text → sentences worth speaking (blank ones dropped; trailing spaces kept for joining). */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const { segment } of sentences().segment(text)) if (segment.trim()) out.push(...cutLong(segment));
  return out;
}

/**
 * For text that arrives in pieces (a streaming reply): `push` returns the sentences that are
 * complete, `end` the rest. A segment is complete once something follows it, since the segmenter
 * cannot know whether "Dr." ends a sentence until the next word arrives.
 */
export class SentenceStream {
  private buffer = '';

  push(text: string): string[] {
    this.buffer += text;
    const segments = [...sentences().segment(this.buffer)].map((s) => s.segment);
    if (segments.length <= 1) {
      if (this.buffer.length <= MAX_SENTENCE_CHARS) return [];
      const parts = cutLong(this.buffer);
      this.buffer = parts.pop() ?? '';
      return parts.filter((p) => p.trim());
    }
    this.buffer = segments.pop()!;
    return segments.flatMap(cutLong).filter((s) => s.trim());
  }

  end(): string[] {
    const rest = this.buffer;
    this.buffer = '';
    return rest.trim() ? cutLong(rest) : [];
  }
}
