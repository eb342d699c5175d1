/**
 * Hands out names that never collide with a name already in use: `relu`,
 * then `relu_1`, `relu_2`, ... One authority covers a model's main graph and
 * all its subgraphs (they share one namespace: a subgraph may read any outer
 * name); each function body has its own.
 */
export class NameAuthority {
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();

  /** Marks a name as taken (names read from a file). The empty name is never tracked. */
  register(name: string): void {
    if (name) this.used.add(name);
  }

  has(name: string): boolean {
    return this.used.has(name);
  }

  /** A fresh name based on `base`, registered before it is returned. */
  unique(base: string): string {
    const stem = base || 'val';
    if (!this.used.has(stem)) {
      this.used.add(stem);
      return stem;
    }
    let i = this.counters.get(stem) ?? 1;
    while (this.used.has(`${stem}_${i}`)) i++;
    this.counters.set(stem, i + 1);
    const name = `${stem}_${i}`;
    this.used.add(name);
    return name;
  }
}
