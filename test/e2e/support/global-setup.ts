/** e2e global setup: the CLI bundle is brought up to date once, before the tests that run `portico` start. */
import { ensureBuilt } from "../../../cli/bundle.mjs";

export default async function setup() {
  await ensureBuilt();
}
