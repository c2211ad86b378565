import { readFileSync } from 'node:fs';

/** How to reach the NATS server, from `--hub` / `SWITCHBOARD_HUB_URL` and NATS's own credential options. */
export interface NatsSettings {
  /** `host:port` list, credentials removed. */
  servers: string[];
  /** What logs and status may show: scheme, host and port, never a credential. */
  display: string;
  tls: boolean;
  user?: string;
  pass?: string;
  token?: string;
  /** The contents of a `.creds` file (JWT + NKey seed). */
  creds?: Uint8Array;
  caFile?: string;
}

/**
 * Reads the hub URL (`nats://[user:pass@|token@]host:port`, `tls://…`, several separated by
 * commas) and the credential variables: `SWITCHBOARD_HUB_CREDS` (a .creds file),
 * `SWITCHBOARD_HUB_USER` / `SWITCHBOARD_HUB_PASSWORD`, `SWITCHBOARD_HUB_TOKEN`,
 * `SWITCHBOARD_HUB_TLS_CA`. Errors name the problem, never the secret.
 */
export function natsSettings(url: string, env: Readonly<Record<string, string | undefined>>): NatsSettings {
  const servers: string[] = [];
  const display: string[] = [];
  let tls = false;
  let user = env.SWITCHBOARD_HUB_USER;
  let pass = env.SWITCHBOARD_HUB_PASSWORD;
  let token = env.SWITCHBOARD_HUB_TOKEN;
  for (const part of url.split(',').map((s) => s.trim()).filter(Boolean)) {
    let u: URL;
    try {
      u = new URL(part);
    } catch {
      throw new Error('the hub URL is not a URL; expected nats://host:4222 or tls://host:4222');
    }
    if (u.protocol !== 'nats:' && u.protocol !== 'tls:') {
      throw new Error(`the hub URL must start with nats:// or tls://; got ${u.protocol}//`);
    }
    if (u.protocol === 'tls:') tls = true;
    const hostPort = `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || '4222'}`;
    if (u.username && u.password) {
      user = decodeURIComponent(u.username);
      pass = decodeURIComponent(u.password);
    } else if (u.username) token = decodeURIComponent(u.username);
    servers.push(hostPort);
    display.push(`${u.protocol}//${hostPort}`);
  }
  if (servers.length === 0) throw new Error('the hub URL names no server');
  let creds: Uint8Array | undefined;
  if (env.SWITCHBOARD_HUB_CREDS) {
    try {
      creds = readFileSync(env.SWITCHBOARD_HUB_CREDS);
    } catch {
      throw new Error(`cannot read the NATS credentials file named by SWITCHBOARD_HUB_CREDS`);
    }
  }
  return { servers, display: display.join(','), tls, user, pass, token, creds, caFile: env.SWITCHBOARD_HUB_TLS_CA };
}
