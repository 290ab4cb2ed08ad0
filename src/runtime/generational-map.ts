/**
 * A bounded map that forgets its least recently written entries in bulk: two
 * generations, the young one replaced when it fills. O(1) per operation, unlike evicting
 * the first key of one Map, which gets slow as V8 skips the deleted slots at its head.
 * Holds between `maxEntries / 2` and `maxEntries` live keys.
 */
export class GenerationalMap<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly half: number;

  constructor(maxEntries: number) {
    this.half = Math.max(1, Math.floor(maxEntries / 2));
  }

  get(key: string): V | undefined {
    const v = this.young.get(key);
    return v !== undefined ? v : this.old.get(key);
  }

  set(key: string, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  /** Upper bound: a key may sit in both generations. */
  get size(): number {
    return this.young.size + this.old.size;
  }
}
