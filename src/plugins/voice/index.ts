import type { ClientPeer } from '../../host/client.js';
import { notifyClient } from '../../host/client-calls.js';
import type { Plugin } from '../../host/plugin.js';
import { RpcError } from '../../host/errors.js';
import { redactUrl } from '../../host/secrets.js';
import { redactFile } from './config-schema.js';
import { wavHeader } from './audio/wav.js';
import { speakTurn } from './speak.js';
import {
  VoiceAudio,
  VoiceConfigDelete,
  VoiceConfigGet,
  VoiceConfigUpdate,
  VoiceMethods,
  VoiceSpeak,
  VoiceStatus,
  VoiceStop,
  VoiceStt,
  VoiceTts,
} from './schemas.js';
import { sttHandler, ttsHandler } from './rest.js';
import { VoiceService, decodeBase64 } from './service.js';
import { AudioNormalizer, type AudioOut } from './tts-stream.js';

/**
 * `voice/*`: speech in and out through a voice server, Wyoming (`tcp://`, Home Assistant's
 * protocol: wyoming-faster-whisper, wyoming-piper on a Raspberry Pi) or OpenAI-compatible audio
 * (`http(s)://`: speaches, Kokoro-FastAPI, LocalAI), chosen by the configured URL.
 */
export const voicePlugin: Plugin = {
  name: 'voice',
  description: 'speech to text and text to speech through Wyoming or OpenAI-compatible voice servers; voice/speak follows a turn',
  methods: VoiceMethods,
  clientMethods: [VoiceAudio],
  activate(ctx) {
    const service = new VoiceService(ctx.config.home, ctx.config.env, ctx.logger);
    ctx.subscriptions.add(service);

    ctx.status.add('voice', () => service.statusSection());
    // The adapter's own body cap stays far above voice.json's maxAudioBytes (which can change
    // while the daemon runs); the handler enforces that one as the body streams in.
    ctx.endpoints.add({ path: '/api/stt', methods: ['POST'], description: 'audio (raw body with its Content-Type, or multipart `file`) → {text} through the STT voice server', maxBodyBytes: 1024 * 1024 * 1024, handle: sttHandler(service) });
    ctx.endpoints.add({ path: '/api/tts', methods: ['POST'], description: '{text, voice?} → audio/wav streamed while it is synthesized', handle: ttsHandler(service) });

    const configView = () => {
      const file = service.store.current();
      const problem = service.store.fileProblem();
      const eff = (r: 'stt' | 'tts') => {
        const e = service.store.effective(r);
        return e ? { url: redactUrl(e.url), source: e.source } : null;
      };
      return { configFile: service.store.file, config: redactFile(file), ...(problem ? { problem } : {}), effective: { stt: eff('stt'), tts: eff('tts') } };
    };

    ctx.handle(VoiceStatus, async (_p, call) => {
      const role = async (r: 'stt' | 'tts') => {
        const eff = service.store.effective(r);
        if (!eff) return null;
        const offer = await service.engine(r).probe(call.signal);
        return {
          url: redactUrl(eff.url),
          source: eff.source,
          ...offer,
          ...(eff.language ? { language: eff.language } : {}),
          ...(r === 'tts' && eff.voice ? { voice: eff.voice } : {}),
        };
      };
      const [stt, tts] = await Promise.all([role('stt'), role('tts')]);
      const problem = service.store.fileProblem();
      return { configFile: service.store.file, ...(problem ? { configProblem: problem } : {}), stt, tts };
    });

    ctx.handle(VoiceStt, async ({ audio, mimeType, format, language }, call) => {
      const started = performance.now();
      const result = await service.transcribe(decodeBase64(audio), { mimeType, format, language }, call.signal);
      return { ...result, elapsedMs: Math.round(performance.now() - started) };
    });

    /** Sends one chunk as a voice/audio notification (with a WAV header first, if asked). */
    const notifier = (call: { client: ClientPeer }, streamId: string, wav: boolean, sessionId?: string) => (a: AudioOut) => {
      const data = wav && a.index === 0 ? Buffer.concat([wavHeader(a.format), a.pcm]) : a.pcm;
      notifyClient(call.client, VoiceAudio, {
        streamId,
        ...(sessionId ? { sessionId } : {}),
        index: a.index,
        sentence: a.sentence,
        format: { rate: a.format.rate, width: a.format.width, channels: a.format.channels },
        data: data.toString('base64'),
      });
    };

    ctx.handle(VoiceTts, async ({ text, voice, format, streamId }, call) => {
      const sentences = service.sentencesOf(text);
      const stream = service.streams.open('tts', call.signal, { id: streamId });
      try {
        const send = notifier(call, stream.id, format === 'wav');
        const normalizer = new AudioNormalizer();
        for await (const piece of service.synthesize(sentences, service.voiceOf(voice), stream.signal)) {
          const out = normalizer.accept(piece);
          if (out) send(out);
        }
        return { streamId: stream.id, ...normalizer.totals() };
      } catch (err) {
        if (stream.stopped) throw RpcError.cancelled(`stream ${stream.id} was stopped by voice/stop`);
        throw err;
      } finally {
        stream.dispose();
      }
    });

    ctx.handle(VoiceSpeak, async ({ sessionId, voice, streamId }, call) => {
      // Fail fast when nothing is configured, rather than after the turn's first sentence.
      service.engine('tts');
      const stream = service.streams.open('speak', call.signal, { id: streamId, sessionId });
      try {
        const outcome = await speakTurn(ctx, service, call, sessionId, service.voiceOf(voice), stream, notifier(call, stream.id, false, sessionId));
        return { streamId: stream.id, sessionId, ...outcome };
      } finally {
        stream.dispose();
      }
    });

    ctx.handle(VoiceStop, (p) => ({ stopped: service.streams.stop({ streamId: p?.streamId, sessionId: p?.sessionId }) }));

    ctx.handle(VoiceConfigGet, () => configView());
    ctx.handle(VoiceConfigUpdate, (patch) => {
      service.store.update(patch);
      ctx.logger.info({ config: redactFile(service.store.current()) }, 'voice config updated');
      return configView();
    });
    ctx.handle(VoiceConfigDelete, ({ role }) => {
      service.store.update({ [role]: null });
      ctx.logger.info({ role }, 'voice config role removed');
      return configView();
    });
  },
};
