import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RpcError } from '../../host/errors.js';
import { redactUrl, registerSecret, registerUrlSecrets } from '../../host/secrets.js';
import { DEFAULT_TIMEOUTS, type VoiceTimeouts } from './engine.js';
import type { VoiceRole } from './errors.js';
import {
  DEFAULT_MAX_AUDIO_BYTES,
  DEFAULT_MAX_TEXT_CHARS,
  REDACTED,
  SttConfig,
  TtsConfig,
  VoiceFile,
  envRef,
} from './config-schema.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A role as it is used: the file's settings, the env URL over them, the key resolved. */
export interface EffectiveRole {
  url: string;
  source: 'file' | 'env';
  model?: string;
  apiKey?: string;
  language?: string;
  voice?: string;
  speaker?: string;
}

const ENV_URL: Record<VoiceRole, string> = { stt: 'SWITCHBOARD_VOICE_STT_URL', tts: 'SWITCHBOARD_VOICE_TTS_URL' };

/**
 * `$SWITCHBOARD_HOME/voice.json`: re-read when its mtime changes (a hand edit is picked up on the
 * next request), rewritten atomically (temp file + rename, mode 0600: it may hold API keys).
 */
export class VoiceConfigStore {
  readonly file: string;
  private data: VoiceFile = {};
  private seenMtime = -1;
  private problem: string | undefined;

  constructor(
    home: string,
    private readonly env: Env,
  ) {
    this.file = path.join(home, 'voice.json');
  }

  /** The file as stored (secrets in clear: never return this to a client). */
  current(): VoiceFile {
    this.refresh();
    return this.data;
  }

  /** Why voice.json could not be read, if it could not (the last good config stays in use). */
  fileProblem(): string | undefined {
    this.refresh();
    return this.problem;
  }

  private refresh(): void {
    let m = 0;
    try {
      m = statSync(this.file).mtimeMs;
    } catch {
      m = 0;
    }
    if (m === this.seenMtime) return;
    this.seenMtime = m;
    if (!existsSync(this.file)) {
      this.data = {};
      this.problem = undefined;
      return;
    }
    try {
      const parsed = VoiceFile.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        this.problem = `${this.file} is not a valid voice config: ${i?.path.join('.')}: ${i?.message}`;
        return;
      }
      this.data = parsed.data;
      this.problem = undefined;
    } catch (err) {
      this.problem = `${this.file} is not valid JSON (${(err as Error).message})`;
    }
  }

  private write(next: VoiceFile): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
    this.data = next;
    this.problem = undefined;
    this.seenMtime = statSync(this.file).mtimeMs;
  }

  effective(role: VoiceRole): EffectiveRole | undefined {
    const file = this.current()[role] as (SttConfig & TtsConfig) | undefined;
    const envUrl = this.env[ENV_URL[role]];
    const url = envUrl || file?.url;
    if (!url) return undefined;
    const ref = envRef(file?.apiKey);
    const apiKey = ref ? this.env[ref] : file?.apiKey;
    // Known to the process-wide scrubber, so an echo in an error or a log line is caught too.
    registerSecret(apiKey);
    registerUrlSecrets(url);
    return {
      url,
      source: envUrl ? 'env' : 'file',
      ...(file?.model ? { model: file.model } : {}),
      ...(apiKey ? { apiKey } : {}),
      ...(file?.language ? { language: file.language } : {}),
      ...(file?.voice ? { voice: file.voice } : {}),
      ...(file?.speaker ? { speaker: file.speaker } : {}),
    };
  }

  timeouts(): VoiceTimeouts {
    const t = this.current().timeouts ?? {};
    return { connectMs: t.connectMs ?? DEFAULT_TIMEOUTS.connectMs, stallMs: t.stallMs ?? DEFAULT_TIMEOUTS.stallMs };
  }

  limits(): { maxAudioBytes: number; maxTextChars: number } {
    const d = this.current();
    return { maxAudioBytes: d.maxAudioBytes ?? DEFAULT_MAX_AUDIO_BYTES, maxTextChars: d.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS };
  }

  /**
   * Applies a patch: a role object replaces keys of the stored role (undefined keeps, null
   * removes, the redacted placeholder keeps the stored key); `null` for a whole role removes it.
   */
  update(patch: Record<string, unknown>): VoiceFile {
    const cur = this.current();
    if (this.problem) throw RpcError.conflict(`${this.problem}; fix or remove it before changing it here`);
    const next: Record<string, unknown> = { ...cur };
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (value === null) {
        delete next[key];
        continue;
      }
      if ((key === 'stt' || key === 'tts') && typeof value === 'object') {
        const old = (cur[key] ?? {}) as Record<string, unknown>;
        const role: Record<string, unknown> = { ...old };
        const given = value as Record<string, unknown>;
        for (const [k, v] of Object.entries(given)) {
          if (v === undefined || (k === 'apiKey' && v === REDACTED)) continue;
          // The URL as it was shown (credentials redacted) sent back keeps the stored one.
          if (k === 'url' && typeof old.url === 'string' && v === redactUrl(old.url)) continue;
          if (v === null) delete role[k];
          else role[k] = v;
        }
        // A kept key must not follow the role to another server: re-pointing needs the key again.
        const keptKey = old.apiKey !== undefined && (given.apiKey === undefined || given.apiKey === REDACTED);
        if (keptKey && typeof old.url === 'string' && role.url !== old.url) {
          throw RpcError.invalidParams(
            `voice ${key}: the stored apiKey would be kept, but the server changes (${redactUrl(old.url)} → ${redactUrl(String(role.url))}); send the apiKey again (or apiKey: null) to use the new server`,
            { role: key },
          );
        }
        next[key] = role;
      } else next[key] = value;
    }
    const parsed = VoiceFile.safeParse(next);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw RpcError.invalidParams(`the voice config would not be valid: ${i?.path.join('.')}: ${i?.message}`, { issues: parsed.error.issues });
    }
    this.write(parsed.data);
    return parsed.data;
  }
}
