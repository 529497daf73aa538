// sortForDispatch orders the dispatch board's cards: yesterday's undispatched work (carried
// over) first, then the more urgent, then the older (numbers rise with time).
export function sortForDispatch<T extends { carried_over: boolean; urgency: string; number: string }>(items: T[]): T[] {
  const rank: Record<string, number> = { urgent: 0, high: 1, normal: 2, low: 3 };
  return [...items].sort(
    (a, b) => Number(b.carried_over) - Number(a.carried_over) || (rank[a.urgency] ?? 9) - (rank[b.urgency] ?? 9) || a.number.localeCompare(b.number),
  );
}
