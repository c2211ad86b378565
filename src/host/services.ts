import type { InjectionToken } from 'tsyringe';
import { BootError, BootErrorCodes } from './boot-errors.js';
import type { Plugin } from './plugin.js';

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

/**
 * Throws `SB_ERR_SERVICE_UNDECLARED` unless the plugin declared the token for this use: what it
 * provides it may also require or use; what it requires it may also use as optional.
 */
export function assertDeclared(plugin: Plugin, token: ServiceToken, kind: 'provides' | 'requires' | 'optional'): void {
  const lists =
    kind === 'requires' ? [plugin.requires, plugin.provides] : kind === 'optional' ? [plugin.optional, plugin.requires, plugin.provides] : [plugin.provides];
  if (lists.some((l) => l?.includes(token))) return;
  throw new BootError(
    BootErrorCodes.ServiceUndeclared,
    `${BootErrorCodes.ServiceUndeclared}: plugin "${plugin.name}" uses service "${serviceName(token)}" without declaring it in \`${kind}\``,
  );
}
