/**
 * What the run learns before and while it measures, shared by the scenarios' setups and the sections' extra
 * measurements: the resolved definition (real upstream URL, generated JWT key), the signed token, the admin token
 * and the versions published through the admin API. `run.ts` fills it before any Worker starts.
 */

/** The admin API's bearer token, given to the Portico Worker as its ADMIN_TOKEN binding (bench only). */
export const ADMIN_TOKEN = "bench-admin-token";

export interface Fixture {
  /** bench-api.yaml as built: upstream URLs and the JWT public key filled in. */
  definition: Record<string, unknown>;
  /** The local upstream's base URL. */
  upstream: string;
  /** A long-lived ES256 token the `bench` authorizer accepts. */
  jwt: string;
  /** The public half of the key that signs the bench's tokens (the Hono peer gets it as a JWK). */
  jwtPublicJwk: Record<string, unknown>;
  /** An API key created through Portico's admin API for the full pipeline (the Hono peer gets the same value). */
  apiKey: string;
  /** The run's load settings (the full pipeline signs enough fresh tokens for them). */
  seconds: number;
  warmupSeconds: number;
  /** REGISTRY_MEMO_MS of the Portico Worker: how long a published change may take to reach requests. */
  registryMemoMs: number;
  /** Versions (first 12 hex of the bundle id, as `x-portico-version` shows them) seen or published during the run. */
  versions: { embedded?: string; published?: string; canaryStable?: string; canary?: string };
  /** Date.now() of the last change made through the admin API (publish, canary settings). */
  lastAdminChangeAt: number;
}

export const fixture: Fixture = {
  definition: {},
  upstream: "",
  jwt: "",
  jwtPublicJwk: {},
  apiKey: "",
  seconds: 10,
  warmupSeconds: 2,
  registryMemoMs: 5000,
  versions: {},
  lastAdminChangeAt: 0,
};
