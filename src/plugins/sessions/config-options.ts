import type { z } from 'zod';
import { RpcError } from '../../host/errors.js';
import type { ProfileService } from '../profiles/contract.js';
import { REASONING_EFFORTS, type ReasoningEffort } from '../providers/contract.js';
import type { SessionManager } from './manager.js';
import { SESSION_MODES, type ConfigOption } from './schemas.js';
import type { Session } from './session.js';

type Option = z.infer<typeof ConfigOption>;

/** Provider kinds whose requests carry a reasoning effort (OpenAI `reasoning_effort`, Anthropic thinking). */
const EFFORT_KINDS = new Set(['openai-compatible', 'anthropic']);
/** The thought_level a session has until it picks one: the provider's own default. */
const DEFAULT_THOUGHT_LEVEL = 'default';

/**
 * ACP session config options: `mode` (the same value as `modes` / `session/set_mode`), `model`
 * (one value per profile: a session switches profile, and with it model and provider) and
 * `thought_level` (only when the session's provider accepts a reasoning effort). Every option has
 * a current value; none is boolean, so clients that do not advertise boolean options see them all.
 */
export class SessionConfig {
  constructor(
    private readonly manager: SessionManager,
    private readonly profiles: ProfileService,
  ) {}

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
    out.push({
      type: 'select',
      id: 'model',
      name: 'Model',
      category: 'model',
      currentValue: s.meta.profile,
      options: names.map((name) => ({ value: name, name: this.modelLabel(name) })),
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
    else if (configId === 'model' && value !== s.meta.profile) s.record({ k: 'set', patch: { profile: value }, at });
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

  private modelLabel(profile: string): string {
    try {
      return `${profile} (${this.profiles.resolve(profile).model})`;
    } catch {
      return profile;
    }
  }
}
