// The character vocabulary: `<unk>` at index 0, then tokens by descending frequency (d2l's `Vocab`).

export const UNK = '<unk>';

export class Vocab {
  private readonly index: Map<string, number>;

  private constructor(readonly tokens: readonly string[]) {
    this.index = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * Counts `tokens` and orders them by descending frequency. d2l breaks ties by first occurrence (a
   * stable sort over a Counter); we break them by character code (UTF-16 order) so the order does not depend on where a
   * rare character first appears. The Time Machine has no ties, so its order is d2l's.
   */
  static build(tokens: Iterable<string>): Vocab {
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    counts.delete(UNK);
    const ordered = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([t]) => t);
    return new Vocab([UNK, ...ordered]);
  }

  /** Rebuilds a vocabulary serialised by `toJSON` (from a checkpoint). */
  static fromJSON(tokens: readonly string[]): Vocab {
    if (tokens[0] !== UNK || new Set(tokens).size !== tokens.length) {
      throw new Error(`a vocabulary must start with ${UNK} and have no duplicates`);
    }
    return new Vocab([...tokens]);
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Index of a token; unknown tokens map to `<unk>` (0). */
  indexOf(token: string): number {
    return this.index.get(token) ?? 0;
  }

  has(token: string): boolean {
    return this.index.has(token) && token !== UNK;
  }

  encode(tokens: readonly string[]): Int32Array {
    const ids = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) ids[i] = this.indexOf(tokens[i] as string);
    return ids;
  }

  /** Joins token strings; `<unk>` is rendered literally, as d2l's `predict_ch8` does. */
  decode(ids: Iterable<number>): string {
    let out = '';
    for (const id of ids) out += this.tokens[id] ?? UNK;
    return out;
  }

  equals(other: Vocab): boolean {
    return this.tokens.length === other.tokens.length && this.tokens.every((t, i) => t === other.tokens[i]);
  }

  toJSON(): string[] {
    return [...this.tokens];
  }
}
