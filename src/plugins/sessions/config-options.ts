import type { z } from 'zod';
import { notifyClient } from '../../host/client-calls.js';
import { RpcError } from '../../host/errors.js';
import type { ProfileService } from '../profiles/contract.js';
import { REASONING_EFFORTS, type ReasoningEffort } from '../providers/contract.js';
import type { SessionManager } from './manager.js';
import { SESSION_MODES, SessionUpdate, type ConfigOption } from './schemas.js';
import type { Session } from './session.js';

type Option = z.infer<typeof ConfigOption>;

/** Provider kinds whose requests carry a reasoning effort (OpenAI `reasoning_effort`, Anthropic thinking). */
const EFFORT_KINDS = new Set(['openai-compatible', 'anthropic']);
/** The thought_level a session has until it picks one: the provider's own default. */
const DEFAULT_THOUGHT_LEVEL = 'default';
/** How long a provider's model list is kept (a failed listing too, so it is not retried per call). */
const MODELS_TTL_MS = 10 * 60_000;
/** Most listed models offered per profile. */
const MAX_LISTED_MODELS = 50;

/** Lists the models of a profile's provider (a real call), for the `model` option. */
export type ModelLister = (profile: string, signal: AbortSignal) => Promise<string[]>;

/**
 * ACP session config options: `mode` (the same value as `modes` / `session/set_mode`), `model`
 * (one value per profile: a session switches profile, and with it model and provider) and
 * `thought_level` (only when the session's provider accepts a reasoning effort). Every option has
 * a current value; none is boolean, so clients that do not advertise boolean options see them all.
 */
export class SessionConfig {
  private readonly listed = new Map<string, { at: number; models: string[] }>();
  private readonly listing = new Set<string>();

  constructor(
    private readonly manager: SessionManager,
    private readonly profiles: ProfileService,
    private readonly listModels?: ModelLister,
  ) {}

  /**
   * Asks the session's provider for its models (once per profile per 10 minutes, in the
   * background); when what it offers changes, the clients of the profile's sessions get config_option_update.
   */
  private refreshModels(profile: string): void {
    const cached = this.listed.get(profile);
    if (!this.listModels || this.listing.has(profile) || (cached && Date.now() - cached.at < MODELS_TTL_MS)) return;
    this.listing.add(profile);
    void this.listModels(profile, AbortSignal.timeout(10_000))
      .catch(() => [] as string[])
      .then((models) => {
        this.listing.delete(profile);
        // Only a change in what is offered (models besides the profile's own) is announced.
        const own = this.ownModel(profile);
        const offered = (list: readonly string[]) => JSON.stringify(list.filter((m) => m !== own));
        const before = offered(this.listed.get(profile)?.models ?? []);
        const list = [...new Set(models)].slice(0, MAX_LISTED_MODELS);
        this.listed.set(profile, { at: Date.now(), models: list });
        if (offered(list) === before) return;
        // What the provider offers is not a change of the session: told to its clients, not a session event (no seq, not logged).
        for (const s of this.manager.sessionsList()) {
          if (s.meta.profile !== profile) continue;
          const update = { sessionUpdate: 'config_option_update', configOptions: this.options(s) };
          for (const c of this.manager.clients(s.id)) notifyClient(c, SessionUpdate, { sessionId: s.id, update });
        }
      });
  }

  /** The model a session runs: one it chose from the provider's list, else the profile's. */
  modelOf(s: Session): string | undefined {
    return s.meta.model ?? undefined;
  }

  /** The provider kind behind a session's profile, or undefined when it does not resolve. */
  private kindOf(s: Session): string | undefined {
    try {
      return this.profiles.resolve(s.meta.profile).kind;
    } catch {
      return undefined;
    }
  }

  options(s: Session): Option[] {
    const out: Option[] = [
      {
        type: 'select',
        id: 'mode',
        name: 'Approval mode',
        category: 'mode',
        currentValue: s.meta.mode,
        options: SESSION_MODES.map((m) => ({ value: m.id, name: m.name, description: m.description })),
      },
    ];
    const names = this.profileNames(s);
    this.refreshModels(s.meta.profile);
    // Each profile (with its own model), then the other models its provider lists, as `profile/model`.
    const own = this.ownModel(s.meta.profile);
    const listed = (this.listed.get(s.meta.profile)?.models ?? []).filter((m) => m !== own);
    if (s.meta.model && s.meta.model !== own && !listed.includes(s.meta.model)) listed.unshift(s.meta.model);
    out.push({
      type: 'select',
      id: 'model',
      name: 'Model',
      category: 'model',
      currentValue: s.meta.model && s.meta.model !== own ? `${s.meta.profile}/${s.meta.model}` : s.meta.profile,
      options: [
        ...names.map((name) => ({ value: name, name: this.modelLabel(name) })),
        ...listed.map((m) => ({ value: `${s.meta.profile}/${m}`, name: `${m} (${s.meta.profile})` })),
      ],
    });
    if (EFFORT_KINDS.has(this.kindOf(s) ?? '')) {
      out.push({
        type: 'select',
        id: 'thought_level',
        name: 'Thinking effort',
        category: 'thought_level',
        currentValue: s.meta.thoughtLevel ?? DEFAULT_THOUGHT_LEVEL,
        options: [
          { value: DEFAULT_THOUGHT_LEVEL, name: "Provider's default" },
          ...REASONING_EFFORTS.map((e) => ({ value: e, name: e[0].toUpperCase() + e.slice(1) })),
        ],
      });
    }
    return out;
  }

  /** The reasoning effort to send for a session, if it chose one its provider supports. */
  effortOf(s: Session, kind: string): ReasoningEffort | undefined {
    const level = s.meta.thoughtLevel;
    return EFFORT_KINDS.has(kind) && (REASONING_EFFORTS as readonly string[]).includes(level ?? '') ? (level as ReasoningEffort) : undefined;
  }

  /**
   * Applies `session/set_config_option`; `setMode` is the one path that changes the mode (it
   * also announces current_mode_update). Announces config_option_update to attached clients.
   */
  set(s: Session, configId: string, value: string | boolean, setMode: (mode: string) => void): Option[] {
    const option = this.options(s).find((o) => o.id === configId);
    if (!option) {
      throw RpcError.invalidParams(`unknown config option "${configId}"; this session has: ${this.options(s).map((o) => o.id).join(', ')}`, { configId });
    }
    if (option.type !== 'select' || typeof value !== 'string' || !option.options.some((o) => o.value === value)) {
      const allowed = option.type === 'select' ? option.options.map((o) => o.value).join(', ') : 'true, false';
      throw RpcError.invalidParams(`"${String(value)}" is not a value of ${configId}; it takes one of: ${allowed}`, { configId, value });
    }
    const at = new Date().toISOString();
    if (configId === 'mode') setMode(value);
    else if (configId === 'model') {
      // `profile` or `profile/model` (profile names have no "/", model ids may).
      const cut = value.indexOf('/');
      const [profile, model] = cut < 0 ? [value, undefined] : [value.slice(0, cut), value.slice(cut + 1)];
      if (profile !== s.meta.profile || model !== s.meta.model) s.record({ k: 'set', patch: { profile, model: model ?? null }, at });
    }
    else if (configId === 'thought_level' && value !== (s.meta.thoughtLevel ?? DEFAULT_THOUGHT_LEVEL)) {
      s.record({ k: 'set', patch: { thoughtLevel: value }, at });
    }
    if (configId !== 'mode') this.announce(s);
    return this.options(s);
  }

  /** Sends the whole option set to the session's clients (after a change from any side). */
  announce(s: Session): void {
    this.manager.publish(s.id, { type: 'update', update: { sessionUpdate: 'config_option_update', configOptions: this.options(s) } });
  }

  private profileNames(s: Session): string[] {
    const listed = this.profiles.names();
    return listed.includes(s.meta.profile) ? listed : [s.meta.profile, ...listed];
  }

  private ownModel(profile: string): string | undefined {
    try {
      return this.profiles.resolve(profile).model;
    } catch {
      return undefined;
    }
  }

  private modelLabel(profile: string): string {
    const model = this.ownModel(profile);
    return model ? `${profile} (${model})` : profile;
  }
}
