import { ErrorCodes, RpcError } from '../../host/errors.js';

/** What an error message names: which profile and where, never the key. */
export interface ErrorContext {
  profile: string;
  provider: string;
  baseUrl: string;
  /** Scrubbed from any text a provider sends back (some echo a part of the key). */
  secrets: readonly string[];
}

export const ADD_PROFILE_HINT =
  'add or fix a profile with profiles/create or profiles/update (REST: POST /profiles, PUT /profiles/{name}) giving provider, model, baseUrl and apiKey';

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  // Belt and braces: anything that looks like a bearer key.
  return out.replace(/\b(sk|sk-ant|key)-[A-Za-z0-9_-]{8,}/g, '[redacted]').slice(0, 500);
}

/** The message a provider put in its JSON error body (OpenAI or Anthropic shape), if any. */
function providerMessage(body: string): { message?: string; type?: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; type?: unknown; code?: unknown } | string; message?: unknown };
    const e = parsed.error;
    if (typeof e === 'string') return { message: e };
    if (e && typeof e === 'object') {
      return { message: typeof e.message === 'string' ? e.message : undefined, type: typeof e.type === 'string' ? e.type : typeof e.code === 'string' ? e.code : undefined };
    }
    if (typeof parsed.message === 'string') return { message: parsed.message };
  } catch {
    /* not JSON */
  }
  return body.trim() ? { message: body.trim() } : {};
}

function retryAfterMs(headers: Record<string, string | string[] | undefined>): number | undefined {
  const raw = headers['retry-after'];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, Math.round(secs * 1000));
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** Maps a non-2xx provider response to a clear, secret-free RpcError. */
export function httpError(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  ctx: ErrorContext,
): RpcError {
  const { message, type } = providerMessage(body);
  const said = message ? `: ${scrub(message, ctx.secrets)}` : '';
  const data = { profile: ctx.profile, provider: ctx.provider, status, ...(type ? { type } : {}) };
  if (status === 401 || status === 403) {
    return new RpcError(
      ErrorCodes.UpstreamError,
      `the provider rejected the credentials of profile "${ctx.profile}" (HTTP ${status}${said}); check its apiKey — ${ADD_PROFILE_HINT}`,
      data,
    );
  }
  if (status === 429) {
    const wait = retryAfterMs(headers);
    return new RpcError(
      ErrorCodes.RateLimited,
      `the provider of profile "${ctx.profile}" is rate limiting requests (HTTP 429${said})${wait !== undefined ? `; retry after ${Math.ceil(wait / 1000)} s` : ''}`,
      { ...data, ...(wait !== undefined ? { retryAfterMs: wait } : {}) },
    );
  }
  if (status === 404) {
    return new RpcError(
      ErrorCodes.UpstreamError,
      `the provider of profile "${ctx.profile}" answered 404${said}; check the profile's baseUrl and model`,
      data,
    );
  }
  const kind = status >= 500 ? 'failed' : 'refused the request';
  return new RpcError(ErrorCodes.UpstreamError, `the provider of profile "${ctx.profile}" ${kind} (HTTP ${status}${said})`, data);
}

/** The provider could not be reached at all (refused, DNS, TLS…). */
export function connectionError(err: unknown, ctx: ErrorContext): RpcError {
  const cause = (err as { cause?: { code?: string } })?.cause;
  const code = (err as { code?: string })?.code ?? cause?.code ?? 'connection failed';
  const ollama = ctx.provider === 'ollama' ? ' Is Ollama running (ollama serve)?' : '';
  return new RpcError(
    ErrorCodes.UpstreamError,
    `cannot reach the provider of profile "${ctx.profile}" at ${ctx.baseUrl} (${code}).${ollama} To use another provider, ${ADD_PROFILE_HINT}, and make it the default or pass "profile" to session/new.`,
    { profile: ctx.profile, provider: ctx.provider, code },
  );
}

export function streamCut(ctx: ErrorContext): RpcError {
  return new RpcError(
    ErrorCodes.UpstreamError,
    `the provider of profile "${ctx.profile}" ended its stream before the response was complete; try again`,
    { profile: ctx.profile, provider: ctx.provider, reason: 'stream_cut' },
  );
}

/** An error event inside a stream (Anthropic `overloaded_error`, an OpenAI `error` chunk). */
export function streamError(type: string | undefined, message: string | undefined, ctx: ErrorContext): RpcError {
  const said = message ? `: ${scrub(message, ctx.secrets)}` : '';
  const code = type === 'rate_limit_error' ? ErrorCodes.RateLimited : ErrorCodes.UpstreamError;
  return new RpcError(code, `the provider of profile "${ctx.profile}" reported an error mid-stream (${type ?? 'error'}${said})`, {
    profile: ctx.profile,
    provider: ctx.provider,
    ...(type ? { type } : {}),
  });
}
