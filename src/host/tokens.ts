import type { InjectionToken } from 'tsyringe';
import type { Logger } from 'pino';
import type { HostConfig } from './config.js';
import type { EventBus } from './events.js';
import type { ClientPeer } from './client.js';

/**
 * DI tokens: a symbol paired with the interface it stands for. Only the composition root
 * registers these in the root container; plugins register their services in the shared
 * plugin container with tokens of their own.
 */
export const Tokens = {
  Config: Symbol('HostConfig') as InjectionToken<HostConfig>,
  Logger: Symbol('Logger') as InjectionToken<Logger>,
  EventBus: Symbol('EventBus') as InjectionToken<EventBus>,
  /** Registered in each connection's child container. */
  ClientPeer: Symbol('ClientPeer') as InjectionToken<ClientPeer>,
} as const;
