/**
 * The browser suite (`npm run test:browser`): the dashboard driven in Debian's Chromium (`/usr/bin/chromium`,
 * never a downloaded browser) through playwright-core, against the Worker as it ships. Apart from `npm test`, so
 * the README's test command needs nothing from apt; `.ci/run` installs Chromium when absent and runs this after it.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "browser",
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    // The CLI is bundled once before the tests run it (as in the e2e project).
    globalSetup: ["./test/e2e/support/global-setup.ts"],
    hookTimeout: 120_000,
    testTimeout: 120_000,
    silent: "passed-only",
  },
});
