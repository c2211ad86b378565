/** How much an item weighs, and the most a ring may hold (e.g. characters of text). */
export interface RingWeight<T> {
  of(item: T): number;
  max: number;
}

/**
 * A fixed-capacity FIFO: pushing onto a full ring evicts the oldest items (and counts them).
 * With a weight, it also evicts while the items together weigh more than `max`: 1000 lines of
 * 64 Ki characters each would otherwise be a lot of memory for "1000 lines".
 */
export class Ring<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;
  private weight = 0;

  constructor(
    readonly capacity: number,
    private readonly weigh?: RingWeight<T>,
  ) {
    this.items = new Array<T | undefined>(Math.max(1, capacity));
  }

  get size(): number {
    return this.count;
  }

  /** Adds an item; returns how many old ones were evicted to make room. */
  push(item: T): number {
    let evicted = 0;
    if (this.count === this.items.length) {
      this.shift();
      evicted++;
    }
    this.items[(this.head + this.count++) % this.items.length] = item;
    if (this.weigh) {
      this.weight += this.weigh.of(item);
      while (this.weight > this.weigh.max && this.count > 1) {
        this.shift();
        evicted++;
      }
    }
    return evicted;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    if (this.weigh) this.weight -= this.weigh.of(item);
    return item;
  }

  /** The i-th oldest item. */
  at(i: number): T | undefined {
    return i < 0 || i >= this.count ? undefined : this.items[(this.head + i) % this.items.length];
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.weight = 0;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.head + i) % this.items.length] as T);
    return out;
  }
}
