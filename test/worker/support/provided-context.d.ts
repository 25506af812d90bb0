/** Values the global setup (test/support/global-setup.ts) provides to tests. */
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    backendUrl: string;
    /** The local AWS-compatible server (test/support/aws-server.ts). */
    awsUrl: string;
  }
}

/** `env` from "cloudflare:test" / "cloudflare:workers" is the Worker's own Env. */
import type { Env as PorticoEnv } from "../../../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends PorticoEnv {}
  }
}
