/** Settings the composition root resolves once (from CLI flags and the environment). */
export interface HostConfig {
  /** `$SWITCHBOARD_HOME`, default `~/.switchboard`. */
  readonly home: string;
  readonly version: string;
  /** Largest JSON-RPC message accepted by a transport, in bytes. */
  readonly maxMessageBytes: number;
  /** The environment, for `${env:NAME}` resolution; plugins read it from here, not process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Check handler results against their schemas (on in tests; costs time in production). */
  readonly validateResults: boolean;
  /** The command this host runs for (`serve`, `stdio`, `mcp`); absent when embedded (tests). */
  readonly command?: string;
  /** The file this process's own log goes to, if any (`--log-file`, or the rotating log of `serve`). */
  readonly logFile?: string;
}

/** A whole number above zero from a setting of `env` (`SWITCHBOARD_MAX_TURN_REQUESTS`…), else `fallback`. */
export function positiveSetting(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
