/**
 * A Wyoming `info` event, reduced to what voice/status shows and what the clients decide on.
 * `asr[]` programs list `models[]`; `tts[]` programs list `voices[]` (not models). The
 * `supports_*_streaming` flags sit on each program in the reference library; some servers put
 * them at the top: either counts.
 */
export interface WyomingInfo {
  asr: { name: string; models: { name: string; languages: string[] }[] }[];
  tts: { name: string; voices: { name: string; languages: string[]; speakers?: string[] }[] }[];
  supportsTranscriptStreaming: boolean;
  supportsSynthesizeStreaming: boolean;
}

function arr(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function name(v: Record<string, unknown>): string {
  return typeof v.name === 'string' ? v.name : '';
}

export function parseInfo(data: Record<string, unknown>): WyomingInfo {
  const asr = arr(data.asr);
  const tts = arr(data.tts);
  return {
    asr: asr.map((p) => ({ name: name(p), models: arr(p.models).map((m) => ({ name: name(m), languages: strings(m.languages) })) })),
    tts: tts.map((p) => ({
      name: name(p),
      voices: arr(p.voices).map((v) => {
        const speakers = arr(v.speakers).map(name).filter(Boolean);
        return { name: name(v), languages: strings(v.languages), ...(speakers.length ? { speakers } : {}) };
      }),
    })),
    supportsTranscriptStreaming: data.supports_transcript_streaming === true || asr.some((p) => p.supports_transcript_streaming === true),
    supportsSynthesizeStreaming: data.supports_synthesize_streaming === true || tts.some((p) => p.supports_synthesize_streaming === true),
  };
}
