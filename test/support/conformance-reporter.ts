/**
 * A Vitest reporter that prints, after a run, how many recorded Amazon cases passed, failed and were skipped in each
 * area (test names `[area] case-id` from test/worker/conformance/replay.test.ts), so `npm test` shows conformance
 * at a glance.
 */
import type { Reporter, TestModule } from "vitest/node";

export default class ConformanceReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const areas = new Map<string, { passed: number; failed: number; skipped: number }>();
    for (const module of modules)
      for (const test of module.children.allTests()) {
        const m = /^\[([a-z0-9-]+)\] /.exec(test.name);
        if (!m) continue;
        const counts = areas.get(m[1]!) ?? { passed: 0, failed: 0, skipped: 0 };
        const state = test.result().state;
        if (state === "passed") counts.passed++;
        else if (state === "failed") counts.failed++;
        else counts.skipped++;
        areas.set(m[1]!, counts);
      }
    if (!areas.size) return;
    const total = { passed: 0, failed: 0, skipped: 0 };
    const lines = [...areas.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([area, c]) => {
      total.passed += c.passed;
      total.failed += c.failed;
      total.skipped += c.skipped;
      return `  ${area.padEnd(24)} ${String(c.passed).padStart(3)} passed  ${String(c.failed).padStart(3)} failed  ${String(c.skipped).padStart(3)} skipped`;
    });
    process.stdout.write(
      `\nRecorded Amazon API Gateway cases (test/worker/conformance):\n${lines.join("\n")}\n  ${"all".padEnd(24)} ${String(total.passed).padStart(3)} passed  ${String(total.failed).padStart(3)} failed  ${String(total.skipped).padStart(3)} skipped\n\n`,
    );
  }
}
