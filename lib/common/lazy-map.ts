/**
 * A Map that allocates its table on the first `set`. An empty Map costs
 * about 200 bytes of heap (its hash table); a server keeps several per
 * connection that most connections never fill (heap per idle client).
 */
export class LazyMap<K, V> {
  private map: Map<K, V> | undefined;

  get size(): number {
    return this.map?.size ?? 0;
  }

  get(key: K): V | undefined {
    return this.map?.get(key);
  }

  has(key: K): boolean {
    return this.map?.has(key) ?? false;
  }

  set(key: K, value: V): this {
    (this.map ??= new Map()).set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.map?.delete(key) ?? false;
  }

  clear(): void {
    this.map?.clear();
  }

  values(): IterableIterator<V> {
    return (this.map ?? EMPTY).values() as IterableIterator<V>;
  }
}

const EMPTY: ReadonlyMap<unknown, unknown> = new Map();
