import { copyFileSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { redactUrl, registerSecret, registerUrlSecrets } from '../../host/secrets.js';
import type { ProviderConfig } from '../providers/contract.js';
import { OLLAMA_BASE_URL } from '../providers/index.js';
import { parseProfilesFile, type LoadedProfiles } from './load.js';
import { ProfileSchema, REDACTED, type Profile, type ProfileProblem } from './schemas.js';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** The profile that exists when there is no profiles.json: Ollama on its default address, no key. */
export function builtinLocal(env: Readonly<Record<string, string | undefined>>): Profile {
  return { name: 'local', provider: 'ollama', model: env.SWITCHBOARD_OLLAMA_MODEL ?? 'llama3.2', baseUrl: OLLAMA_BASE_URL };
}

type ProfilesFile = { default?: string | null; profiles: Profile[] };

const ENV_REF = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

export function envRef(value: string | undefined): string | undefined {
  return value ? ENV_REF.exec(value)?.[1] : undefined;
}

/** A profile as shown: literal secrets replaced by the placeholder; `${env:NAME}` references shown. */
export function redact(p: Profile): Profile {
  const out: Profile = { ...p };
  if (p.apiKey !== undefined) out.apiKey = envRef(p.apiKey) ? p.apiKey : REDACTED;
  if (p.headers) out.headers = Object.fromEntries(Object.keys(p.headers).map((k) => [k, envRef(p.headers![k]) ? p.headers![k] : REDACTED]));
  if (p.baseUrl) out.baseUrl = redactUrl(p.baseUrl);
  return out;
}

/** Where a profile's key is sent: a placeholder keeps a stored secret only while this stays the same. */
function destination(p: Record<string, unknown>): string {
  const provider = String(p.provider);
  const base = typeof p.baseUrl === 'string' ? p.baseUrl : provider === 'anthropic' ? ANTHROPIC_BASE_URL : provider === 'ollama' ? OLLAMA_BASE_URL : OPENAI_BASE_URL;
  return `${provider} ${base.replace(/\/+$/, '')}`;
}

/**
 * profiles.json: read once, rewritten atomically (temp file + rename, mode 0600) on every change.
 * With no file, the built-in `local` profile stands in until the first profile is created.
 * Entries that are not valid profiles are reported (`problems`) and kept as they are, so the
 * valid ones still work and a write never loses a hand-written entry; creating, updating or
 * deleting a profile of that name repairs it.
 */
export class ProfileStore {
  readonly file: string;
  private data: ProfilesFile;
  private invalid: unknown[] = [];
  private problemList: ProfileProblem[] = [];
  /** The file is there but unusable as a whole (not JSON…): it is copied aside before a write. */
  private unreadable = false;
  private fromFile: boolean;
  /** mtime of the file as last read or written: a hand edit is picked up on next use. */
  private seenMtime = 0;

  constructor(
    home: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {
    this.file = path.join(home, 'profiles.json');
    this.fromFile = existsSync(this.file);
    this.data = { default: 'local', profiles: [builtinLocal(env)] };
    if (this.fromFile) this.apply(this.read());
    this.seenMtime = this.mtime();
  }

  /** What of profiles.json could not be loaded: each bad entry's index and why. */
  problems(): ProfileProblem[] {
    return this.problemList.map((p) => ({ ...p }));
  }

  private apply(loaded: LoadedProfiles): void {
    this.data = { default: loaded.default, profiles: loaded.profiles };
    this.invalid = loaded.invalid;
    this.problemList = loaded.problems;
    this.unreadable = !loaded.readable;
  }

  private mtime(): number {
    try {
      return statSync(this.file).mtimeMs;
    } catch {
      return 0;
    }
  }

  /**
   * Re-reads profiles.json when someone edited it since we last saw it. An edit that leaves the
   * file unusable as a whole keeps the profiles in memory and says why, rather than losing them.
   */
  refresh(onError?: (message: string) => void): void {
    const m = this.mtime();
    if (m === 0 || m === this.seenMtime) return;
    this.seenMtime = m;
    const loaded = this.read();
    this.fromFile = true;
    if (loaded.readable) return this.apply(loaded);
    this.problemList = loaded.problems;
    this.unreadable = true;
    onError?.(`${this.file} ${loaded.problems[0]?.reason}`);
  }

  private read(): LoadedProfiles {
    try {
      return parseProfilesFile(readFileSync(this.file, 'utf8'));
    } catch (err) {
      return { default: null, profiles: [], invalid: [], problems: [{ index: null, reason: `cannot be read (${(err as Error).message})` }], readable: false };
    }
  }

  private write(): void {
    // A file that was not usable at all is kept beside, so a write never destroys what a person wrote.
    if (this.unreadable && existsSync(this.file)) copyFileSync(this.file, `${this.file}.unreadable`);
    for (const p of this.data.profiles) learn(p);
    const tmp = `${this.file}.${process.pid}.tmp`;
    const text = JSON.stringify({ ...this.data, profiles: [...this.data.profiles, ...this.invalid] }, null, 2) + '\n';
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, this.file);
    this.fromFile = true;
    this.seenMtime = this.mtime();
    // Indexes of what is still invalid are those of the file just written.
    this.apply(parseProfilesFile(text));
  }

  /** Forgets the invalid entry of that name (it is being replaced or deleted); whether there was one. */
  private dropInvalid(name: string): boolean {
    const i = this.invalid.findIndex((e) => (e as { name?: unknown } | null)?.name === name);
    if (i === -1) return false;
    this.invalid.splice(i, 1);
    return true;
  }

  private invalidEntry(name: string): Record<string, unknown> | undefined {
    const e = this.invalid.find((x) => (x as { name?: unknown } | null)?.name === name);
    return typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as Record<string, unknown>) : undefined;
  }

  isBuiltin(name: string): boolean {
    return !this.fromFile && name === 'local';
  }

  defaultName(): string | null {
    const d = this.data.default;
    return d && this.find(d) ? d : this.data.profiles[0]?.name ?? null;
  }

  list(): Profile[] {
    return this.data.profiles.map((p) => ({ ...p }));
  }

  find(name: string): Profile | undefined {
    return this.data.profiles.find((p) => p.name === name);
  }

  get(name: string): Profile {
    const p = this.find(name);
    if (p) return p;
    const problem = this.problemList.find((x) => x.name === name);
    if (problem) {
      throw new RpcError(
        ErrorCodes.NotFound,
        `profile "${name}" is in ${this.file} (index ${problem.index}) but is not valid: ${problem.reason}; repair it with profiles/update or profiles/create, or remove it with profiles/delete`,
        { name, problem },
      );
    }
    throw RpcError.notFound(`profile "${name}"`, { name, known: this.data.profiles.map((x) => x.name) });
  }

  create(p: Profile, makeDefault: boolean): Profile {
    if (this.find(p.name)) throw RpcError.conflict(`a profile named "${p.name}" already exists; use profiles/update to change it`);
    const first = !this.fromFile;
    this.dropInvalid(p.name);
    this.data.profiles.push(p);
    if (makeDefault || first) this.data.default = p.name;
    this.write();
    return p;
  }

  /** Applies a patch: undefined keeps, null removes, the redacted placeholder keeps the secret. */
  update(name: string, patch: Record<string, unknown> & { newName?: string; makeDefault?: boolean }): Profile {
    // An invalid entry of that name is repaired by the patch, if the result is a valid profile.
    const broken = this.find(name) ? undefined : this.invalidEntry(name);
    const current = broken ? (broken as Profile) : this.get(name);
    const next: Record<string, unknown> = { ...current };
    let placeholders = false;
    for (const [key, value] of Object.entries(patch)) {
      if (key === 'name' || key === 'newName' || key === 'makeDefault' || value === undefined) continue;
      if (value === null) delete next[key];
      else if (key === 'apiKey' && value === REDACTED) placeholders = true;
      // The baseUrl as it was shown (credentials redacted) sent back unchanged keeps the stored one.
      else if (key === 'baseUrl' && current.baseUrl && value === redactUrl(current.baseUrl)) continue;
      else if (key === 'headers') {
        const old = current.headers ?? {};
        if (Object.values(value as Record<string, string>).includes(REDACTED)) placeholders = true;
        next.headers = Object.fromEntries(Object.entries(value as Record<string, string>).map(([k, v]) => [k, v === REDACTED ? old[k] ?? '' : v]));
      } else next[key] = value;
    }
    // A stored key must not follow the profile to another server, whether the patch sends it back
    // as the placeholder or leaves it out: re-pointing needs the key again (or null to drop it).
    // A `$VAR` reference is the user's own instruction, not a stored secret, and may go along.
    const literal = (v: unknown) => typeof v === 'string' && v !== '' && !envRef(v);
    const carried =
      placeholders ||
      (patch.apiKey === undefined && literal(next.apiKey)) ||
      (patch.headers === undefined && Object.values((next.headers as Record<string, string> | undefined) ?? {}).some(literal));
    if (carried && destination(next) !== destination(current as Record<string, unknown>)) {
      throw RpcError.invalidParams(
        `profile "${name}": the apiKey or a header is the redacted placeholder, but the profile now points elsewhere (${redactUrl(destination(current as Record<string, unknown>))} → ${redactUrl(destination(next))}); send the secret again to use it with the new server`,
        { name },
      );
    }
    if (patch.newName && patch.newName !== name) {
      if (this.find(patch.newName)) throw RpcError.conflict(`cannot rename "${name}": a profile named "${patch.newName}" already exists`);
      next.name = patch.newName;
    }
    const parsed = ProfileSchema.safeParse(next);
    if (!parsed.success) throw RpcError.invalidParams(`the updated profile is not valid: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    if (broken) {
      this.dropInvalid(name);
      this.data.profiles.push(parsed.data);
    } else this.data.profiles[this.data.profiles.indexOf(current)] = parsed.data;
    if (this.data.default === name) this.data.default = parsed.data.name;
    if (patch.makeDefault) this.data.default = parsed.data.name;
    this.write();
    return parsed.data;
  }

  delete(name: string): void {
    if (!this.find(name) && this.dropInvalid(name)) return this.write();
    const p = this.get(name);
    this.data.profiles = this.data.profiles.filter((x) => x !== p);
    if (this.data.default === name) this.data.default = this.data.profiles[0]?.name ?? null;
    this.write();
  }

  /** Why a profile cannot be used as is (no network check), or undefined when it can. */
  unusable(p: Profile): string | undefined {
    const ref = envRef(p.apiKey);
    if (ref && !this.env[ref]) return `its apiKey refers to the environment variable ${ref}, which is not set`;
    if (p.provider === 'anthropic' && !p.apiKey && !p.headers) return 'an anthropic profile needs an apiKey';
    for (const [k, v] of Object.entries(p.headers ?? {})) {
      const hr = envRef(v);
      if (hr && !this.env[hr]) return `its header ${k} refers to the environment variable ${hr}, which is not set`;
    }
    return undefined;
  }

  resolve(name?: string): ProviderConfig & { contextWindow?: number } {
    const target = name ?? this.defaultName();
    if (!target) {
      throw new RpcError(ErrorCodes.Unavailable, 'no profile is configured: create one with profiles/create (REST: POST /profiles) giving provider, model, baseUrl and apiKey');
    }
    const p = this.get(target);
    const why = this.unusable(p);
    if (why) throw new RpcError(ErrorCodes.Unavailable, `profile "${p.name}" cannot be used: ${why}`, { profile: p.name });
    const sub = (v: string) => {
      const ref = envRef(v);
      return ref ? this.env[ref] ?? '' : v;
    };
    const baseUrl = p.baseUrl ?? (p.provider === 'anthropic' ? ANTHROPIC_BASE_URL : p.provider === 'ollama' ? OLLAMA_BASE_URL : OPENAI_BASE_URL);
    learn(p, sub);
    return {
      profile: p.name,
      kind: p.provider,
      model: p.model,
      baseUrl,
      apiKey: p.apiKey === undefined ? undefined : sub(p.apiKey),
      headers: p.headers ? Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k, sub(v)])) : undefined,
      maxTokens: p.maxTokens,
      temperature: p.temperature,
      contextWindow: p.contextWindow,
    };
  }
}

/** Every secret a profile holds (literal or from the environment) is scrubbed by value from what leaves. */
function learn(p: Profile, sub: (v: string) => string = (v) => v): void {
  if (p.apiKey) registerSecret(sub(p.apiKey));
  for (const v of Object.values(p.headers ?? {})) registerSecret(sub(v));
  registerUrlSecrets(p.baseUrl);
}
