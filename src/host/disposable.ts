/** Something that holds a resource until it is disposed. */
export interface Disposable {
  dispose(): void | Promise<void>;
}

export function toDisposable(fn: () => void | Promise<void>): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      return fn();
    },
  };
}

/**
 * Owns long-lived things (sockets, children, timers, pending approvals) and releases them in
 * reverse order of acquisition, so that a thing is always released before what it depends on.
 * A disposer that throws does not stop the others; the first error is rethrown at the end.
 */
export class DisposableStore implements Disposable {
  private items: Disposable[] = [];
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  add<T extends Disposable>(item: T): T {
    if (this.disposed) {
      void item.dispose();
      return item;
    }
    this.items.push(item);
    return item;
  }

  /** Adds a cleanup function; returns a disposable that runs it early and forgets it. */
  defer(fn: () => void | Promise<void>): Disposable {
    const d = toDisposable(fn);
    this.add(d);
    return toDisposable(async () => {
      this.items = this.items.filter((i) => i !== d);
      await d.dispose();
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    let first: unknown;
    for (const item of this.items.reverse()) {
      try {
        await item.dispose();
      } catch (err) {
        first ??= err;
      }
    }
    this.items = [];
    if (first) throw first;
  }
}
