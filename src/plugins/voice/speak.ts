import type { CallContext } from '../../host/client.js';
import { RpcError, isAbortError } from '../../host/errors.js';
import type { EventBus } from '../../host/events.js';
import type { PluginContext } from '../../host/plugin.js';
import { SessionEventBus, type SessionEvent } from '../sessions/contract.js';
import { SessionEvents, SessionGet } from '../sessions/schemas.js';
import type { VoiceChoice } from './engine.js';
import { SentenceStream } from './sentences.js';
import type { VoiceService } from './service.js';
import type { ActiveStream } from './streams.js';
import { AudioNormalizer, type AudioOut } from './tts-stream.js';

/** How far back a join looks for the running turn's start (events kept per session are bounded too). */
const REPLAY_WINDOW = 5000;
/** The running turn, when its id is not known (its turn_started is older than the window). */
const ANY_TURN = '\0running';

export interface SpeakOutcome {
  stopReason: 'turn_ended' | 'cancelled' | 'stopped';
  sentences: number;
  chunks: number;
  bytes: number;
}

/**
 * Follows one turn of a session (the running one, or the next to start) and speaks the
 * assistant's message text sentence by sentence while it streams. Joining mid-turn replays the
 * turn's text so far from the session's buffer, then goes on live, deduplicated by seq.
 */
export async function speakTurn(
  ctx: PluginContext,
  service: VoiceService,
  call: CallContext,
  sessionId: string,
  voice: VoiceChoice | undefined,
  stream: ActiveStream,
  onAudio: (a: AudioOut) => void,
): Promise<SpeakOutcome> {
  const queue: string[] = [];
  const splitter = new SentenceStream();
  let turnId: string | undefined;
  let lastSeq = -1;
  let ended: 'turn_ended' | 'cancelled' | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };

  const take = (e: SessionEvent) => {
    if (e.sessionId !== sessionId || e.seq <= lastSeq || ended) return;
    lastSeq = e.seq;
    if (e.type === 'turn_started' && turnId === undefined) turnId = e.turnId;
    if (turnId === undefined) return;
    if (e.type === 'update' && e.update.sessionUpdate === 'agent_message_chunk') {
      const content = e.update.content as { type?: string; text?: string } | undefined;
      if (content?.type === 'text' && content.text) queue.push(...splitter.push(content.text));
    } else if (e.type === 'turn_ended' && (e.turnId === turnId || turnId === ANY_TURN)) {
      ended = e.stopReason === 'cancelled' ? 'cancelled' : 'turn_ended';
      if (ended === 'turn_ended') queue.push(...splitter.end());
      else {
        // A cancelled turn is not finished aloud: what is being said stops now.
        queue.length = 0;
        cut.abort();
      }
    }
    poke();
  };

  const cut = new AbortController();
  const synthSignal = AbortSignal.any([stream.signal, cut.signal]);
  const pending: SessionEvent[] = [];
  let joined = false;
  const sub = (ctx.events as EventBus).on(SessionEventBus, (e) => (joined ? take(e) : e.sessionId === sessionId && pending.push(e)));
  const onAbort = () => poke();
  stream.signal.addEventListener('abort', onAbort);
  const normalizer = new AudioNormalizer();
  let spoken = 0;
  try {
    const info = await ctx.call(SessionGet, { sessionId }, call);
    if (info.turnActive) {
      const { events } = await recentEvents(ctx, sessionId, Math.max(0, info.lastSeq - REPLAY_WINDOW), call);
      const start = events.map((e) => e.type).lastIndexOf('turn_started');
      // A turn so long that its start left the window: speak it from what the window holds.
      if (start < 0) turnId = ANY_TURN;
      for (const e of events.slice(Math.max(0, start))) take(e);
    }
    // Not running: the next turn_started (perhaps already among the pending events) is ours.
    joined = true;
    for (const e of pending) take(e);

    for (;;) {
      if (synthSignal.aborted) break;
      const sentence = queue.shift();
      if (sentence !== undefined) {
        const index = spoken++;
        for await (const piece of service.synthesize([sentence], voice, synthSignal)) {
          const out = normalizer.accept(piece, index);
          if (out) onAudio(out);
        }
        continue;
      }
      if (ended) break;
      await new Promise<void>((r) => (wake = r));
    }
  } catch (err) {
    if (!(synthSignal.aborted && (isAbortError(err) || (err instanceof RpcError && err.code === -32800)))) throw err;
  } finally {
    sub.dispose();
    stream.signal.removeEventListener('abort', onAbort);
  }
  const t = normalizer.totals();
  if (stream.signal.aborted && !stream.stopped) throw RpcError.cancelled();
  return { stopReason: stream.stopped ? 'stopped' : ended === 'cancelled' ? 'cancelled' : 'turn_ended', sentences: t.sentences, chunks: t.chunks, bytes: t.bytes };
}

/**
 * The session's events after `after`. A window that starts inside an earlier turn's compacted
 * event (-32009 with `data.compacted`) starts after that event instead: only the running turn
 * matters here, and a running turn is never compacted.
 */
async function recentEvents(ctx: PluginContext, sessionId: string, after: number, call: CallContext): Promise<{ events: SessionEvent[] }> {
  try {
    return await ctx.call(SessionEvents, { sessionId, after }, call);
  } catch (err) {
    const part = err instanceof RpcError && err.code === -32009 ? (err.data as { compacted?: { seq?: unknown } } | undefined)?.compacted : undefined;
    if (typeof part?.seq !== 'number') throw err;
    return ctx.call(SessionEvents, { sessionId, after: part.seq }, call);
  }
}
