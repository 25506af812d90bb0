/** Quota periods with plain values: DAY, WEEK and MONTH bounds in UTC, offsets, month lengths and year ends. */
import { describe, expect, it } from "vitest";
import { dayKey, dayStart, periodBounds, type Period } from "./periods.ts";

const at = (iso: string) => Date.parse(iso);
const bounds = (iso: string, period: Period, offset = 0) => {
  const { start, end } = periodBounds(at(iso), period, offset);
  return [new Date(start).toISOString().slice(0, 10), new Date(end).toISOString().slice(0, 10)];
};

describe("days", () => {
  it("start at UTC midnight", () => {
    expect(dayStart(at("2024-03-15T13:45:12.345Z"))).toBe(at("2024-03-15T00:00:00Z"));
    expect(dayStart(at("2024-03-15T00:00:00Z"))).toBe(at("2024-03-15T00:00:00Z"));
    expect(dayStart(at("2024-03-15T23:59:59.999Z"))).toBe(at("2024-03-15T00:00:00Z"));
    expect(dayStart(-1)).toBe(-86_400_000); // before 1970 too
  });

  it("are keyed YYYY-MM-DD", () => {
    expect(dayKey(at("2024-02-29T23:59:59.999Z"))).toBe("2024-02-29");
    expect(dayKey(at("1999-12-31T00:00:00Z"))).toBe("1999-12-31");
  });

  it("DAY is [midnight, next midnight)", () => {
    expect(periodBounds(at("2024-03-15T13:00:00Z"), "DAY", 0)).toEqual({ start: at("2024-03-15T00:00:00Z"), end: at("2024-03-16T00:00:00Z") });
    expect(bounds("2024-12-31T23:59:59.999Z", "DAY")).toEqual(["2024-12-31", "2025-01-01"]);
  });
});

describe("WEEK", () => {
  it("starts on Sunday with offset 0, and `offset` days later otherwise", () => {
    // 2024-03-13 is a Wednesday.
    expect(bounds("2024-03-13T12:00:00Z", "WEEK", 0)).toEqual(["2024-03-10", "2024-03-17"]);
    expect(bounds("2024-03-13T12:00:00Z", "WEEK", 1)).toEqual(["2024-03-11", "2024-03-18"]);
    expect(bounds("2024-03-13T12:00:00Z", "WEEK", 3)).toEqual(["2024-03-13", "2024-03-20"]);
    expect(bounds("2024-03-13T12:00:00Z", "WEEK", 4)).toEqual(["2024-03-07", "2024-03-14"]);
    expect(bounds("2024-03-13T12:00:00Z", "WEEK", 6)).toEqual(["2024-03-09", "2024-03-16"]);
  });

  it("rolls over exactly at the start day's midnight", () => {
    expect(bounds("2024-03-15T23:59:59.999Z", "WEEK", 6)).toEqual(["2024-03-09", "2024-03-16"]);
    expect(bounds("2024-03-16T00:00:00Z", "WEEK", 6)).toEqual(["2024-03-16", "2024-03-23"]);
  });

  it("crosses month and year boundaries", () => {
    expect(bounds("2024-03-01T08:00:00Z", "WEEK", 0)).toEqual(["2024-02-25", "2024-03-03"]); // a Friday
    expect(bounds("2025-01-01T08:00:00Z", "WEEK", 1)).toEqual(["2024-12-30", "2025-01-06"]); // a Wednesday
    expect(bounds("2024-12-31T23:00:00Z", "WEEK", 5)).toEqual(["2024-12-27", "2025-01-03"]);
    expect(bounds("2024-02-28T00:00:00Z", "WEEK", 4)).toEqual(["2024-02-22", "2024-02-29"]); // into a leap day
  });
});

describe("MONTH", () => {
  it("starts on the 1st with offset 0", () => {
    expect(bounds("2024-03-15T00:00:00Z", "MONTH", 0)).toEqual(["2024-03-01", "2024-04-01"]);
    expect(bounds("2024-03-01T00:00:00Z", "MONTH", 0)).toEqual(["2024-03-01", "2024-04-01"]);
    expect(bounds("2024-02-29T23:59:59Z", "MONTH", 0)).toEqual(["2024-02-01", "2024-03-01"]);
    expect(bounds("2024-12-31T23:59:59Z", "MONTH", 0)).toEqual(["2024-12-01", "2025-01-01"]);
  });

  it("goes from Jan 31 into February of either length", () => {
    expect(bounds("2023-01-31T12:00:00Z", "MONTH", 0)).toEqual(["2023-01-01", "2023-02-01"]);
    expect(bounds("2023-02-15T12:00:00Z", "MONTH", 0)).toEqual(["2023-02-01", "2023-03-01"]);
    const feb = (y: number) => {
      const { start, end } = periodBounds(Date.UTC(y, 1, 10), "MONTH", 0);
      return (end - start) / 86_400_000;
    };
    expect([feb(2023), feb(2024), feb(2100), feb(2000)]).toEqual([28, 29, 28, 29]);
  });

  it("starts `offset` days after the 1st, in the previous month before that day", () => {
    expect(bounds("2024-03-20T00:00:00Z", "MONTH", 14)).toEqual(["2024-03-15", "2024-04-15"]);
    expect(bounds("2024-03-14T23:59:59Z", "MONTH", 14)).toEqual(["2024-02-15", "2024-03-15"]);
    expect(bounds("2025-01-10T00:00:00Z", "MONTH", 14)).toEqual(["2024-12-15", "2025-01-15"]); // across the year
  });

  it("handles offset 27 (the 28th) through February, leap or not", () => {
    expect(bounds("2024-01-31T00:00:00Z", "MONTH", 27)).toEqual(["2024-01-28", "2024-02-28"]);
    expect(bounds("2024-02-27T23:59:59Z", "MONTH", 27)).toEqual(["2024-01-28", "2024-02-28"]);
    expect(bounds("2024-02-28T00:00:00Z", "MONTH", 27)).toEqual(["2024-02-28", "2024-03-28"]);
    expect(bounds("2024-02-29T12:00:00Z", "MONTH", 27)).toEqual(["2024-02-28", "2024-03-28"]);
    expect(bounds("2023-03-01T00:00:00Z", "MONTH", 27)).toEqual(["2023-02-28", "2023-03-28"]);
    expect(bounds("2024-12-30T00:00:00Z", "MONTH", 27)).toEqual(["2024-12-28", "2025-01-28"]);
    expect(bounds("2025-01-01T00:00:00Z", "MONTH", 27)).toEqual(["2024-12-28", "2025-01-28"]);
  });
});

describe("every period", () => {
  it("contains its instant, starts at a midnight, and tiles time with no gap or overlap", () => {
    const cases: [Period, number][] = [["DAY", 0], ...[0, 1, 3, 6].map((o) => ["WEEK", o] as [Period, number]), ...[0, 1, 14, 27].map((o) => ["MONTH", o] as [Period, number])];
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (const [period, offset] of cases)
      for (let i = 0; i < 200; i++) {
        const now = Date.UTC(1999, 0, 1) + Math.floor(random() * 40 * 365 * 86_400_000);
        const { start, end } = periodBounds(now, period, offset);
        expect(start <= now && now < end, `${period}+${offset} at ${new Date(now).toISOString()}`).toBe(true);
        expect(dayStart(start)).toBe(start);
        expect(periodBounds(end, period, offset).start).toBe(end);
        expect(periodBounds(start - 1, period, offset).end).toBe(start);
        const days = (end - start) / 86_400_000;
        const expected = period === "DAY" ? [1] : period === "WEEK" ? [7] : [28, 29, 30, 31];
        expect(expected).toContain(days);
      }
  });
});
