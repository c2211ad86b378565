import { ErrorCodes, RpcError } from '../../host/errors.js';
import { redactUrl } from '../../host/secrets.js';

/** Which configured server a failure concerns: the message says what to check for it. */
export type VoiceRole = 'stt' | 'tts';

const ENV_OF: Record<VoiceRole, string> = { stt: 'SWITCHBOARD_VOICE_STT_URL', tts: 'SWITCHBOARD_VOICE_TTS_URL' };

/** Where the URL of a role is set, for "what to check" in messages. */
export function whereConfigured(role: VoiceRole): string {
  return `the ${role} url in $SWITCHBOARD_HOME/voice.json or ${ENV_OF[role]}`;
}

/** The server could not be reached (refused, DNS, connect timeout): -32005 with the URL and what to check. */
export function unreachable(role: VoiceRole, rawUrl: string, why: string): RpcError {
  const url = redactUrl(rawUrl);
  return new RpcError(
    ErrorCodes.Unavailable,
    `the ${role.toUpperCase()} voice server at ${url} is unreachable (${why}): check that it is running and listening there, and ${whereConfigured(role)}`,
    { role, url, reason: why },
  );
}

/** The server went quiet mid-stream. */
export function stalled(role: VoiceRole, rawUrl: string, ms: number, waitingFor: string): RpcError {
  const url = redactUrl(rawUrl);
  return new RpcError(
    ErrorCodes.Timeout,
    `the ${role.toUpperCase()} voice server at ${url} sent nothing for ${ms / 1000} s while Switchboard waited for ${waitingFor}; the request was abandoned`,
    { role, url, stallMs: ms },
  );
}

/** The server reported an error, or broke the protocol, or closed early: -32006 with its words. */
export function upstream(role: VoiceRole, rawUrl: string, what: string, data: Record<string, unknown> = {}): RpcError {
  const url = redactUrl(rawUrl);
  return new RpcError(ErrorCodes.UpstreamError, `the ${role.toUpperCase()} voice server at ${url} ${what}`, { role, url, ...data });
}

/** Nothing is configured for a role. */
export function notConfigured(role: VoiceRole): RpcError {
  return new RpcError(
    ErrorCodes.Unavailable,
    `no ${role.toUpperCase()} voice server is configured: set ${whereConfigured(role)} (tcp://host:10300 for Wyoming${role === 'tts' ? ', tcp://host:10200 for piper' : ''}, or http(s)://… for an OpenAI-compatible server)`,
    { role },
  );
}

export function badAudio(message: string, data?: Record<string, unknown>): RpcError {
  return RpcError.invalidParams(message, data);
}

export function tooLarge(what: string, size: number, limit: number, unit: string): RpcError {
  return new RpcError(ErrorCodes.PayloadTooLarge, `${what} is ${size.toLocaleString('en')} ${unit}, over the limit of ${limit.toLocaleString('en')} ${unit}`, { size, limit });
}
