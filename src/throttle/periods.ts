/**
 * Quota periods in UTC, as Amazon's usage plans define them: DAY starts at midnight (offset must be 0); WEEK
 * starts `offset` days after Sunday midnight (0 = Sunday … 6 = Saturday); MONTH starts `offset` days after the
 * 1st (0 = the 1st … 27 = the 28th). Pure: every function takes the time.
 */
export type Period = "DAY" | "WEEK" | "MONTH";

const DAY_MS = 86_400_000;

export function dayStart(ms: number): number {
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

/** `YYYY-MM-DD` of a UTC instant. */
export function dayKey(ms: number): string {
  return new Date(dayStart(ms)).toISOString().slice(0, 10);
}

/** The period containing `now`: [start, end) in ms. */
export function periodBounds(now: number, period: Period, offset: number): { start: number; end: number } {
  const today = dayStart(now);
  if (period === "DAY") return { start: today, end: today + DAY_MS };
  if (period === "WEEK") {
    const weekday = new Date(today).getUTCDay();
    const back = (weekday - offset + 7) % 7;
    const start = today - back * DAY_MS;
    return { start, end: start + 7 * DAY_MS };
  }
  const d = new Date(today);
  let start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1 + offset);
  if (start > today) start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1 + offset);
  const s = new Date(start);
  return { start, end: Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, 1 + offset) };
}
