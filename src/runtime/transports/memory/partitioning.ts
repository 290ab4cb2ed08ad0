/** Key → virtual partition. FNV-1a: cheap, stable across runs, spreads short keys well. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Owner of each partition for a group's members (in join order): partition i goes to
 * member i mod n, so every member gets an equal share and a join or leave moves as
 * few partitions as a modulo spread allows.
 */
export function assignPartitions<M>(partitionCount: number, members: readonly M[]): (M | null)[] {
  const owners: (M | null)[] = new Array(partitionCount);
  for (let i = 0; i < partitionCount; i++) owners[i] = members.length === 0 ? null : members[i % members.length]!;
  return owners;
}
