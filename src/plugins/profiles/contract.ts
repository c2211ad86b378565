import type { InjectionToken } from 'tsyringe';
import type { Disposable } from '../../host/disposable.js';
import type { ProviderConfig } from '../providers/contract.js';

/** Profiles as other plugins (sessions, status) use them. */
export interface ProfileService {
  /** The default profile's name (null when there are none). */
  defaultName(): string | null;
  has(name: string): boolean;
  /** Every profile's name, in the store's order. */
  names(): string[];
  /**
   * The profile resolved for use: `${env:NAME}` substituted, defaults applied. Throws a clear
   * RpcError when it does not exist or its credential cannot be resolved. Never log the result.
   */
  resolve(name?: string): ProviderConfig & { contextWindow?: number };
  /** Fires after any profile changes (create, update, rename, delete). */
  onDidChange(listener: () => void): Disposable;
}

export const ProfileServiceToken = Symbol('ProfileService') as InjectionToken<ProfileService>;
