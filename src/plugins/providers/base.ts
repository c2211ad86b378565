import type { ErrorContext } from './errors.js';
import type { AgentPool } from './http.js';
import type { ProviderConfig } from './contract.js';

/**
 * What every HTTP provider holds: its session's own resolved config, the shared pool, and the
 * context its errors are built from (with the secrets they must never contain).
 */
export abstract class HttpProvider {
  protected readonly ctx: ErrorContext;

  constructor(
    protected readonly cfg: ProviderConfig,
    protected readonly pool: AgentPool,
  ) {
    this.ctx = { profile: cfg.profile, provider: cfg.kind, baseUrl: cfg.baseUrl, secrets: [cfg.apiKey ?? '', ...Object.values(cfg.headers ?? {})] };
  }

  get config() {
    return { profile: this.cfg.profile, kind: this.cfg.kind, model: this.cfg.model, baseUrl: this.cfg.baseUrl };
  }
}
