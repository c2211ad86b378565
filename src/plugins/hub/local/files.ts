import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentRecordSchema } from '../peer-protocol.js';
import type { AgentRecord } from '../member.js';

/** A Unix socket path must fit in sun_path (108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100;

/** What an agent leaves under `$SWITCHBOARD_HOME/hub/`: its record, and where its socket is. */
export interface RecordFile extends AgentRecord {
  socket: string;
}

/**
 * The hub's files: `hub/agents/<id>.json` (0600) and the sockets' 0700 folder
 * (`hub/sockets/`, or a private folder in the temp dir when the home's path is too long for a
 * socket address).
 */
export class HubFiles {
  readonly agentsDir: string;
  readonly socketsDir: string;

  constructor(readonly home: string) {
    const hub = path.join(home, 'hub');
    this.agentsDir = path.join(hub, 'agents');
    const inHome = path.join(hub, 'sockets');
    this.socketsDir =
      path.join(inHome, 'a'.repeat(16) + '.sock').length <= MAX_SOCKET_PATH
        ? inHome
        : path.join(os.tmpdir(), `sb-hub-${process.getuid?.() ?? 'u'}-${createHash('sha256').update(home).digest('hex').slice(0, 12)}`);
    for (const dir of [hub, this.agentsDir, this.socketsDir]) private0700(dir);
  }

  socketOf(agentId: string): string {
    return path.join(this.socketsDir, `${agentId}.sock`);
  }

  recordPath(agentId: string): string {
    return path.join(this.agentsDir, `${agentId}.json`);
  }

  /** Atomic (temp file + rename), so a reader never sees half a record. */
  writeRecord(record: RecordFile): void {
    const file = this.recordPath(record.agentId);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(record) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
  }

  /** Every readable record; torn or foreign files are skipped. */
  readRecords(): RecordFile[] {
    let names: string[];
    try {
      names = readdirSync(this.agentsDir);
    } catch {
      return [];
    }
    const out: RecordFile[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      try {
        const raw = JSON.parse(readFileSync(path.join(this.agentsDir, name), 'utf8')) as Record<string, unknown>;
        const parsed = AgentRecordSchema.safeParse(raw);
        if (parsed.success && typeof raw.socket === 'string' && name === `${parsed.data.agentId}.json`) {
          out.push({ ...parsed.data, socket: raw.socket });
        }
      } catch {
        /* being written, or not ours */
      }
    }
    return out;
  }

  /** Removes an agent's record and socket (its own at exit, or a crashed one's). */
  remove(agentId: string, socket = this.socketOf(agentId)): void {
    rmSync(this.recordPath(agentId), { force: true });
    if (path.dirname(socket) === this.socketsDir) rmSync(socket, { force: true });
  }

  /** The owner's token (the 0600 file `serve` writes); made here when no daemon ever ran. */
  token(): string {
    const file = path.join(this.home, 'token');
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      const token = randomBytes(32).toString('base64url');
      try {
        writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
        return token;
      } catch {
        return readFileSync(file, 'utf8').trim();
      }
    }
  }

  /** Constant-time comparison with the token file as it is now (serve rewrites it at start). */
  tokenMatches(presented: string): boolean {
    const a = Buffer.from(this.token());
    const b = Buffer.from(presented);
    return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
  }
}

/** Creates a folder only we can enter, and refuses one someone else owns or made a symlink. */
function private0700(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) {
    throw new Error(`${dir} is not a folder owned by this user; refusing to use it for hub sockets`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Whether a process with this pid exists (EPERM: it exists, under another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
