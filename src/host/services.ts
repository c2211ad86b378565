import type { InjectionToken } from 'tsyringe';

/**
 * A service token: a tsyringe token (a symbol paired with the interface of the same name, as
 * `ToolRegistryToken`). Plugins list tokens in `provides`, `requires` and `optional`; the host
 * checks them at boot with coded errors (`SB_ERR_SERVICE_*`, see `boot-errors.ts`).
 */
export type ServiceToken<T = unknown> = InjectionToken<T>;

/** The name a token is shown by in errors and `host/plugins`: the symbol's description. */
export function serviceName(token: ServiceToken): string {
  if (typeof token === 'symbol') return token.description ?? token.toString();
  if (typeof token === 'string') return token;
  if (typeof token === 'function') return token.name;
  return String(token);
}
