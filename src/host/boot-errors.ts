/**
 * Coded errors of the plugin lifecycle (fastify's `FST_ERR_*` habit): the code says what kind of
 * mistake it is, the message names the plugin and the service and what to do. A plugin that
 * hits one is failed (its `host/status` entry carries `code` and `error`); the others start.
 */
export const BootErrorCodes = {
  /** A plugin requires a service that no registered plugin provides (and the root does not either). */
  ServiceMissing: 'SB_ERR_SERVICE_MISSING',
  /** A plugin requires a service whose provider failed to start. */
  ServiceUnavailable: 'SB_ERR_SERVICE_UNAVAILABLE',
  /** A plugin declared `provides` but did not `ctx.provide` the service during `activate`. */
  ServiceNotProvided: 'SB_ERR_SERVICE_NOT_PROVIDED',
  /** Two plugins declare that they provide the same service. */
  ServiceDuplicate: 'SB_ERR_SERVICE_DUPLICATE',
  /** `ctx.provide` / `ctx.require` / `ctx.optional` of a service the plugin did not declare. */
  ServiceUndeclared: 'SB_ERR_SERVICE_UNDECLARED',
  /** A plugin's `ctx.onReady` listener threw. */
  ReadyFailed: 'SB_ERR_READY_FAILED',
  /** A plugin's `activate` threw. */
  ActivationFailed: 'SB_ERR_ACTIVATION_FAILED',
  /** A plugin's `activate` did not finish within its time limit. */
  ActivationTimeout: 'SB_ERR_ACTIVATION_TIMEOUT',
  /** A plugin, method or tool name is already taken by another plugin. */
  Duplicate: 'SB_ERR_DUPLICATE',
  /** A custom plugin asks for another plugin API or Switchboard version, or could not be loaded. */
  Incompatible: 'SB_ERR_INCOMPATIBLE',
  /** A custom plugin could not be loaded (missing file, syntax error, bad package.json, no handshake). */
  LoadFailed: 'SB_ERR_LOAD_FAILED',
  /** A running plugin failed (an out-of-process plugin that kept crashing). */
  Crashed: 'SB_ERR_CRASHED',
  /** A plugin depends on a plugin that is missing, failed, or in a cycle with it. */
  DependencyFailed: 'SB_ERR_DEPENDENCY',
} as const;

export type BootErrorCode = (typeof BootErrorCodes)[keyof typeof BootErrorCodes];

export class BootError extends Error {
  constructor(
    readonly code: BootErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BootError';
  }
}
