/** "1 tool", "2 tools": a count and its noun, singular for one ("1 tools" read as a bug). CLI and health use it. */
export function count(n: bigint | number, noun: string, plural = `${noun}s`): string {
  return `${n} ${Number(n) === 1 ? noun : plural}`;
}
