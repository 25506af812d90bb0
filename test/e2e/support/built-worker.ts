/**
 * The Worker as it ships, served over real HTTP: `portico build` (which is `wrangler deploy --dry-run`) in a
 * private checkout, then that script and the example's demo backend run in workerd through Miniflare, listening
 * on a loopback port.
 *
 * Why Miniflare with the build output rather than wrangler's `unstable_startWorker`:
 * - `unstable_startWorker` starts one Worker per call. The wiring that lets `wrangler dev -c a -c b` run the
 *   gateway and its backend in one runtime (MultiworkerRuntimeController) is internal to wrangler, so the backend
 *   would be a second instance reached through the dev registry, a directory shared by every wrangler process on
 *   the machine: another moving part, with its own timing.
 * - It bundles `src/index.ts` itself and serves it behind wrangler's dev proxy; here the script under test is the
 *   very file `wrangler deploy` would upload, and nothing but workerd (and Miniflare's entry) sits in front of it.
 * - Bindings still come from wrangler: `unstable_getMiniflareWorkerOptions` reads both wrangler.toml files, so a
 *   binding added there reaches these tests with no change here.
 * `wrangler dev` itself is exercised by cli.test.ts, through `portico dev`.
 *
 * The demo backend is bundled with a recorder in front of it: every request that reaches the backend is kept
 * (method, path, headers), so tests can prove what the gateway forwarded, or that it forwarded nothing.
 */
import { build as esbuild } from "esbuild";
import { Miniflare } from "miniflare";
import { dirname, join } from "node:path";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import type { Checkout } from "./checkout.ts";

export interface BackendRequest {
  method: string;
  /** Path and query as the backend received them. */
  path: string;
  headers: Record<string, string>;
}

export interface BuiltWorker {
  url: URL;
  port: number;
  /** Requests the demo backend received since the last call, oldest first. */
  backendRequests(): Promise<BackendRequest[]>;
  dispose(): Promise<void>;
}

/** Reachable only through `Miniflare.getWorker`: no route of the example API forwards to this path. */
const RECORDER_PATH = "/__e2e__/received";

const recorderSource = (backendEntry: string) => `
import Backend from ${JSON.stringify(backendEntry)};
// The backend's named exports (its Workflow class) stay exported.
export * from ${JSON.stringify(backendEntry)};
const received = [];
// The demo backend is a Worker entrypoint class (the Lambda adapter's): the recorder extends it, so HTTP requests
// are recorded and Lambda events still arrive over RPC (invokeLambda), untouched.
export default class RecordedBackend extends Backend {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === ${JSON.stringify(RECORDER_PATH)}) return Response.json(received.splice(0));
    received.push({ method: request.method, path: url.pathname + url.search, headers: Object.fromEntries(request.headers) });
    return super.fetch(request);
  }
}
`;

/** `bindings` are added to the gateway's own (secrets and vars a test needs, e.g. ADMIN_TOKEN). */
function withBindings<T extends { bindings?: Record<string, unknown> }>(options: T, extra: Record<string, string>): T {
  return { ...options, bindings: { ...(options.bindings ?? {}), ...extra } };
}

export async function startBuiltWorker(checkout: Checkout, bindings: Record<string, string> = {}): Promise<BuiltWorker> {
  const built = await checkout.cli(["build", "--json"]);
  if (built.status !== 0) throw new Error(`portico build failed (${built.status}):\n${built.stdout}\n${built.stderr}`);
  const { script, outdir } = JSON.parse(built.stdout) as { script: string; outdir: string };

  const gatewayConfig = join(checkout.dir, "wrangler.toml");
  const backendConfig = join(checkout.dir, "examples", "backend", "wrangler.toml");
  const backendOut = join(checkout.dir, ".portico", "e2e", "demo-backend.js");
  await esbuild({
    stdin: { contents: recorderSource(join(dirname(backendConfig), "worker.ts")), resolveDir: checkout.dir, sourcefile: "recorded-backend.js" },
    bundle: true,
    format: "esm",
    outfile: backendOut,
    external: ["cloudflare:workers"],
    logLevel: "error",
  });

  const backendName = unstable_readConfig({ config: backendConfig }, { hideWarnings: true }).name!;
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    workers: [
      {
        ...withBindings(unstable_getMiniflareWorkerOptions(gatewayConfig).workerOptions, bindings),
        name: "portico",
        modules: true,
        scriptPath: script,
        modulesRoot: outdir,
      },
      {
        ...unstable_getMiniflareWorkerOptions(backendConfig).workerOptions,
        name: backendName,
        modules: true,
        scriptPath: backendOut,
        modulesRoot: dirname(backendOut),
      },
    ],
  });
  const url = await mf.ready;
  const backend = await mf.getWorker(backendName);
  return {
    url,
    port: Number(url.port),
    async backendRequests() {
      const res = await backend.fetch(`http://backend${RECORDER_PATH}`);
      return (await res.json()) as BackendRequest[];
    },
    dispose: () => mf.dispose(),
  };
}
