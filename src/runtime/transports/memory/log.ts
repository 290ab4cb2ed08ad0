/** A channel's retained messages (for `fromBeginning`), bounded by a count. */

export interface Entry {
  channel: string;
  key: string | undefined;
  value: Uint8Array | string;
  headers: Record<string, string>;
  position: string;
  timestamp: number;
  partition: number;
}

export class RetainedLog {
  private entries: (Entry | undefined)[] = [];
  private start = 0;

  constructor(private readonly retention: number) {}

  append(entry: Entry): void {
    if (this.retention <= 0) return;
    this.entries.push(entry);
    if (this.entries.length - this.start > this.retention) {
      this.entries[this.start++] = undefined;
      // Compact now and then rather than shifting on every append.
      if (this.start >= this.retention) {
        this.entries = this.entries.slice(this.start);
        this.start = 0;
      }
    }
  }

  *[Symbol.iterator](): IterableIterator<Entry> {
    for (let i = this.start; i < this.entries.length; i++) yield this.entries[i]!;
  }
}
