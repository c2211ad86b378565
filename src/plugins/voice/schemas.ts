import { z } from 'zod';
import { NoParams, defineClientNotification, defineMethod } from '../../host/method.js';
import { SttConfig, TtsConfig, VoiceFile } from './config-schema.js';

const Format = z.object({ rate: z.number().int(), width: z.number().int(), channels: z.number().int() });
const ErrorView = z.object({ code: z.number(), message: z.string() });

const RoleStatus = z.object({
  url: z.string(),
  protocol: z.enum(['wyoming', 'openai']),
  /** Where the URL comes from: voice.json, or SWITCHBOARD_VOICE_STT_URL / _TTS_URL. */
  source: z.enum(['file', 'env']),
  reachable: z.boolean(),
  latencyMs: z.number().optional(),
  error: ErrorView.optional(),
  models: z.array(z.object({ name: z.string(), languages: z.array(z.string()) })).optional(),
  voices: z.array(z.object({ name: z.string(), languages: z.array(z.string()), speakers: z.array(z.string()).optional() })).optional(),
  streaming: z.object({ transcript: z.boolean().optional(), synthesize: z.boolean().optional() }).optional(),
  language: z.string().optional(),
  voice: z.string().optional(),
});

export const VoiceStatus = defineMethod({
  name: 'voice/status',
  description:
    'The configured STT and TTS servers: URL, protocol (tcp:// → Wyoming, http(s):// → OpenAI-compatible), whether each answers now (asked live, within the connect timeout) and what it offers (models, voices, languages, streaming support).',
  params: NoParams,
  result: z.object({ configFile: z.string(), configProblem: z.string().optional(), stt: RoleStatus.nullable(), tts: RoleStatus.nullable() }),
  rest: { verb: 'GET', path: '/voice/status' },
});

const VoiceParam = z.union([z.string().min(1), z.object({ name: z.string().optional(), speaker: z.string().optional(), language: z.string().optional() })]);

export const VoiceStt = defineMethod({
  name: 'voice/stt',
  description:
    'Speech to text. `audio` is base64: WAV of any rate/width/channels, raw PCM (`mimeType` audio/pcm with `format`, or audio/pcm;rate=…;channels=…), or webm/ogg opus, mp3, flac, m4a (decoded with ffmpeg). Converted to what the server wants (16 kHz 16-bit mono for Wyoming). REST: POST /api/stt with the raw body or multipart `file`.',
  params: z.object({
    audio: z.string().min(1).describe('base64'),
    mimeType: z.string().max(200).optional(),
    format: Format.partial().optional().describe('raw PCM only: rate, width (bytes), channels'),
    language: z.string().min(1).max(40).optional(),
  }),
  result: z.object({ text: z.string(), language: z.string().optional(), elapsedMs: z.number().optional().describe('time Switchboard and the server took, in ms') }),
});

export const VoiceTts = defineMethod({
  name: 'voice/tts',
  description:
    'Text to speech, streamed: sentence by sentence (Wyoming streaming input when the server advertises it), each piece of audio as a `voice/audio` notification as soon as it arrives, then this result. `format` `wav` makes the first chunk start with a streaming WAV header (the chunks concatenated are a WAV file); `pcm` (default) sends raw PCM. `streamId` (optional) tags the notifications; voice/stop takes it. REST: POST /api/tts → a streamed audio/wav body.',
  params: z.object({
    text: z.string(),
    voice: VoiceParam.optional(),
    format: z.enum(['pcm', 'wav']).optional(),
    streamId: z.string().min(1).max(100).optional(),
  }),
  result: z.object({
    streamId: z.string(),
    format: Format,
    chunks: z.number().int(),
    bytes: z.number().int(),
    sentences: z.number().int(),
    durationMs: z.number().describe('length of the audio, in ms'),
  }),
});

export const VoiceSpeak = defineMethod({
  name: 'voice/speak',
  description:
    "Speaks a session's assistant reply while it streams: follows the running turn (or, if none runs, the next one), splits the reply into sentences and synthesizes each as soon as it is complete, sending `voice/audio` notifications tagged with the sessionId. Answers when the turn ends and its last sentence is spoken, or at once with `cancelled` when the turn is cancelled, or `stopped` on voice/stop.",
  params: z.object({ sessionId: z.string().min(1).max(200), voice: VoiceParam.optional(), streamId: z.string().min(1).max(100).optional() }),
  result: z.object({
    streamId: z.string(),
    sessionId: z.string(),
    stopReason: z.enum(['turn_ended', 'cancelled', 'stopped']),
    sentences: z.number().int(),
    chunks: z.number().int(),
    bytes: z.number().int(),
  }),
});

export const VoiceStop = defineMethod({
  name: 'voice/stop',
  description: 'Stops TTS and speaking at once (the upstream connections close): the stream `streamId`, those of `sessionId`, or all of them.',
  params: z.object({ streamId: z.string().optional(), sessionId: z.string().optional() }).optional().nullable(),
  result: z.object({ stopped: z.array(z.string()) }),
  rest: { verb: 'POST', path: '/voice/stop' },
});

/** A role patch: every key optional, and null to remove it. */
function rolePatch<S extends z.ZodRawShape>(role: z.ZodObject<S>) {
  const shape = Object.fromEntries(Object.entries(role.shape).map(([k, v]) => [k, (v as z.ZodType).nullable().optional()]));
  return z.object(shape).catchall(z.unknown());
}

const ConfigView = z.object({ configFile: z.string(), config: VoiceFile, problem: z.string().optional(), effective: z.object({ stt: z.object({ url: z.string(), source: z.enum(['file', 'env']) }).nullable(), tts: z.object({ url: z.string(), source: z.enum(['file', 'env']) }).nullable() }) });

export const VoiceConfigGet = defineMethod({
  name: 'voice/config/get',
  description: 'voice.json as stored (API keys shown as [redacted] unless they are ${env:NAME} references), and the URL each role really uses (the env variables win).',
  params: NoParams,
  result: ConfigView,
  rest: { verb: 'GET', path: '/voice/config' },
});

export const VoiceConfigUpdate = defineMethod({
  name: 'voice/config/update',
  description:
    'Creates or changes voice.json: `stt`/`tts` keys are merged into the stored role (null removes a key or, for the whole role, the role); sending `[redacted]` back as apiKey keeps the stored key. Written atomically, mode 0600.',
  params: z.object({
    stt: rolePatch(SttConfig).nullable().optional(),
    tts: rolePatch(TtsConfig).nullable().optional(),
    maxAudioBytes: z.number().int().positive().nullable().optional(),
    maxTextChars: z.number().int().positive().nullable().optional(),
    timeouts: z.object({ connectMs: z.number().int().positive().optional(), stallMs: z.number().int().positive().optional() }).nullable().optional(),
  }),
  result: ConfigView,
  rest: { verb: 'PUT', path: '/voice/config' },
});

export const VoiceConfigDelete = defineMethod({
  name: 'voice/config/delete',
  description: 'Removes a role (`stt` or `tts`) from voice.json.',
  params: z.object({ role: z.enum(['stt', 'tts']) }),
  result: ConfigView,
  rest: { verb: 'DELETE', path: '/voice/config/{role}' },
});

export const VoiceAudio = defineClientNotification({
  name: 'voice/audio',
  description:
    'A piece of synthesized audio (voice/tts, voice/speak): `index` counts chunks of the stream from 0, `sentence` the sentence it belongs to; `data` is base64 PCM in `format` (with format wav the first chunk starts with the WAV header).',
  params: z.object({
    streamId: z.string(),
    sessionId: z.string().optional(),
    index: z.number().int(),
    sentence: z.number().int(),
    format: Format,
    data: z.string(),
  }),
});

export const VoiceMethods = [VoiceStatus, VoiceStt, VoiceTts, VoiceSpeak, VoiceStop, VoiceConfigGet, VoiceConfigUpdate, VoiceConfigDelete];
