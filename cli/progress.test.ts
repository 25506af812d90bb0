/** The progress display off a terminal (CI logs, pipes): silent for quick work, then a line per step and the time. */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { startProgress, withProgress } from "./progress.ts";

function stream() {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  return { out, lines };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("progress off a terminal", () => {
  it("prints nothing for work that ends within the quiet time", async () => {
    const { out, lines } = stream();
    expect(await withProgress("quick", Promise.resolve(7), { stream: out, quietMs: 200 })).toBe(7);
    expect(lines).toEqual([]);
  });

  it("announces slow work once it passes the quiet time, then each step and counts, then the time it took", async () => {
    const { out, lines } = stream();
    const progress = startProgress("importing", { stream: out, quietMs: 50 });
    progress.step("reading");
    await sleep(120);
    progress.count(3, 10);
    progress.step("writing");
    progress.end("imported 10 routes");
    expect(lines[0]).toBe("portico: importing: reading…");
    expect(lines[1]).toBe("portico: importing: writing: 3/10…");
    expect(lines[2]).toMatch(/^portico: imported 10 routes \(\d+\.\ds\)$/);
    expect(lines).toHaveLength(3);
  });

  it("says when slow work failed, and passes the failure on", async () => {
    const { out, lines } = stream();
    const failing = withProgress("deploying", async () => {
      await sleep(80);
      throw new Error("no");
    }, { stream: out, quietMs: 20 });
    await expect(failing).rejects.toThrow("no");
    expect(lines).toEqual(["portico: deploying…", expect.stringMatching(/^portico: deploying: failed \(\d+\.\ds\)$/)]);
  });
});
