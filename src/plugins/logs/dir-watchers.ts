import { watch, type FSWatcher } from 'node:fs';
import type { Disposable } from '../../host/disposable.js';

type Listener = (event: 'rename' | 'change') => void;

export interface WatchHandle extends Disposable {
  /** False once the directory's watch has failed (the holder should add itself again). */
  alive(): boolean;
}

interface Entry {
  watcher: FSWatcher;
  /** By file name; `*` hears everything (a platform that gives no name). */
  byName: Map<string, Set<Listener>>;
}

/**
 * One `fs.watch` per directory, shared by every tailed file in it. Watching the directory (not
 * the file) is what sees a file appear, be renamed away and come back; the kernel also reports
 * writes to the files in it. A watch that fails (the directory does not exist yet, or was
 * removed) is simply absent: the caller's periodic check notices and asks again.
 */
export class DirWatchers implements Disposable {
  private readonly dirs = new Map<string, Entry>();
  private disposed = false;

  /** Counts open watchers, so shutdown can be checked to leave none. */
  get open(): number {
    return this.dirs.size;
  }

  /** Whether `dir` is watched now. */
  has(dir: string): boolean {
    return this.dirs.has(dir);
  }

  /** Listens for events about `name` in `dir`; undefined when the directory cannot be watched now. */
  add(dir: string, name: string, listener: Listener): WatchHandle | undefined {
    if (this.disposed) return undefined;
    let entry = this.dirs.get(dir);
    if (!entry) {
      let watcher: FSWatcher;
      try {
        watcher = watch(dir, { persistent: true });
      } catch {
        return undefined;
      }
      const created: Entry = { watcher, byName: new Map() };
      watcher.on('change', (event, filename) => {
        const named = filename === null ? undefined : created.byName.get(String(filename));
        const all = filename === null ? [...created.byName.values()] : named ? [named] : [];
        for (const set of all) for (const l of set) l(event === 'rename' ? 'rename' : 'change');
      });
      // The directory went away: everyone in it re-checks (and finds their file gone).
      watcher.on('error', () => {
        this.close(dir, created);
        for (const set of created.byName.values()) for (const l of set) l('rename');
      });
      this.dirs.set(dir, created);
      entry = created;
    }
    let set = entry.byName.get(name);
    if (!set) entry.byName.set(name, (set = new Set()));
    set.add(listener);
    const owner = entry;
    return {
      alive: () => this.dirs.get(dir) === owner,
      dispose: () => {
        set!.delete(listener);
        if (set!.size === 0) owner.byName.delete(name);
        if (owner.byName.size === 0) this.close(dir, owner);
      },
    };
  }

  private close(dir: string, entry: Entry): void {
    if (this.dirs.get(dir) === entry) this.dirs.delete(dir);
    entry.watcher.close();
  }

  dispose(): void {
    this.disposed = true;
    for (const [dir, entry] of this.dirs) this.close(dir, entry);
  }
}
