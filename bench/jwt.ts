/**
 * The jwt section (identity issue).
 *
 * - `prepareJwt` (before the build): an ES256 key pair generated with jose; its public JWK goes into the `bench`
 *   authorizer's inline JWKS of the definition that is built, and one long-lived token is signed with the private
 *   key (which never leaves this process).
 * - The pair in scenarios.ts: GET /jwt/hello (authorizer) against GET /hello (none), same Worker, same run.
 * - `measureJwtCpu`: what one verification and one memo hit cost, in Node (V8 + Node's WebCrypto over OpenSSL;
 *   workerd runs the same JavaScript on V8 with BoringSSL), with the product's own `jwtAuthorizer`
 *   (src/authorizers/jwt/index.ts) and jose's `jwtVerify` alone for comparison.
 */
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK } from "jose";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "../cli/paths.ts";
import type { BundleJwtAuthorizer, Bundle } from "../src/config/bundle.ts";
import { compileDefinition } from "../src/config/compile.ts";
import { fixture } from "./fixture.ts";

export const ISSUER = "https://issuer.bench.portico.test/";
export const AUDIENCE = "bench";
const KID = "bench-es256";
const TOKEN_LIFETIME_S = 24 * 3600;

let privateKey: CryptoKey | undefined;

/** A token the `bench` authorizer (and the Hono peer) accepts, for `subject`; another key's when given one. */
export function sign(subject: string, extra: Record<string, unknown> = {}, key = privateKey!): Promise<string> {
  return new SignJWT({ scope: "read", ...extra })
    .setProtectedHeader({ alg: "ES256", kid: KID, typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S)
    .sign(key);
}

/** Generates the key pair, writes the public JWK into `definition` (its `bench` authorizer) and signs the token. */
export async function prepareJwt(definition: { authorizers: Record<string, { jwks?: { keys: JWK[] } }> }): Promise<void> {
  const pair = await generateKeyPair("ES256", { extractable: true });
  privateKey = pair.privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: "ES256", use: "sig" };
  const authorizer = definition.authorizers.bench;
  if (!authorizer?.jwks) throw new Error("bench-api.yaml has no `bench` authorizer with an inline JWKS");
  authorizer.jwks = { keys: [publicJwk] };
  fixture.jwtPublicJwk = publicJwk;
  fixture.jwt = await sign("bench-user");
}

/** The jwt scenario's setup: the route must refuse no token and a token signed by another key, and accept ours. */
export async function checkJwtRoute(url: URL): Promise<void> {
  const other = await generateKeyPair("ES256");
  const cases: [string, Record<string, string>, number][] = [
    ["no token", {}, 401],
    ["a token signed by another key", { authorization: `Bearer ${await sign("bench-user", {}, other.privateKey)}` }, 401],
    ["the bench token", { authorization: `Bearer ${fixture.jwt}` }, 200],
  ];
  for (const [what, headers, status] of cases) {
    const res = await fetch(new URL("/bench/jwt/hello", url), { headers });
    await res.text();
    if (res.status !== status) throw new Error(`GET /bench/jwt/hello with ${what} answered ${res.status}, expected ${status}`);
  }
}

export interface JwtCpuResult {
  runtime: string;
  runs: number;
  /** Per operation, median over runs: wall µs (min, max) and CPU µs of the process (all threads). */
  verifyProduct: Stat;
  memoHitProduct: Stat;
  verifyJose: Stat;
  memoPathAlone: Stat;
  opsPerRun: { verify: number; memoHit: number };
}

export interface Stat {
  medianUs: number;
  minUs: number;
  maxUs: number;
  medianCpuUs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const stat = (runs: { wall: number; cpu: number }[]): Stat => {
  const wall = runs.map((r) => r.wall);
  return { medianUs: median(wall), minUs: Math.min(...wall), maxUs: Math.max(...wall), medianCpuUs: median(runs.map((r) => r.cpu)) };
};

interface ProductAuthorizer {
  authorize(ctx: unknown, requirement: { scopes: string[] }): Promise<{ principalId: string }>;
}

/** The parts of RequestContext `jwtAuthorizer` reads (readIdentitySource: request headers; env for secrets). */
function contextFor(token: string) {
  const url = new URL("http://bench.local/bench/jwt/hello");
  return { request: new Request(url, { headers: { authorization: `Bearer ${token}` } }), url, env: {}, stageVariables: {}, stage: "bench", clientIp: "" };
}

/** Wall µs and CPU µs (this process, all threads: WebCrypto work runs on libuv's pool) per op, ops in sequence. */
async function timeUs(ops: number, work: (i: number) => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await work(i);
  const wall = Number(process.hrtime.bigint() - started) / 1000 / ops;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / ops };
}

/**
 * µs per verification (a fresh token each time: memo miss — decode, key lookup, ECDSA P-256 verify, claims) and
 * per memo hit (the same token: Map lookup keyed by the token + scope check), through the product's
 * `jwtAuthorizer`; and jose's `jwtVerify` alone, and Map.get by the token alone. Sequential awaits, median of 7 runs.
 */
export async function measureJwtCpu(log: (line: string) => void): Promise<JwtCpuResult> {
  if (!privateKey) throw new Error("prepareJwt first");
  // Imported by URL, not statically: src/authorizers/ pulls in Worker-only types tsconfig.node.json does not load.
  const { jwtAuthorizer } = (await import(pathToFileURL(join(PROJECT_ROOT, "src/authorizers/jwt/index.ts")).href)) as {
    jwtAuthorizer: (spec: BundleJwtAuthorizer, bundle: Bundle) => ProductAuthorizer;
  };
  const { bundle } = await compileDefinition(structuredClone(fixture.definition));
  const spec = bundle.authorizers.bench as BundleJwtAuthorizer;
  const RUNS = 7;
  const VERIFY_OPS = 200;
  const HIT_OPS = 5000;

  log(`  signing ${VERIFY_OPS + 1} tokens`);
  const tokens = await Promise.all(Array.from({ length: VERIFY_OPS + 1 }, (_, i) => sign(`user-${i}`, { jti: `t${i}` })));
  const contexts = tokens.map(contextFor);
  const requirement = { scopes: [] as string[] };

  log(`  timing verifications and memo hits (${RUNS} runs)`);
  type Run = { wall: number; cpu: number };
  const verifyProduct: Run[] = [];
  const memoHitProduct: Run[] = [];
  const verifyJose: Run[] = [];
  const memoPathAlone: Run[] = [];
  const publicKey = await importJWK((spec.jwks!.keys[0] as JWK), "ES256");
  const options = { issuer: spec.issuer, audience: spec.audience, algorithms: ["ES256"], requiredClaims: ["exp"] };
  const memo = new Map<string, { until: number }>([[tokens[0]!, { until: Infinity }]]);
  for (let run = 0; run < RUNS; run++) {
    // A fresh authorizer has an empty memo: its first call imports the key (once per bundle per isolate), not timed.
    const authorizer = jwtAuthorizer(spec, bundle);
    const first = await authorizer.authorize(contexts[0], requirement);
    if (first.principalId !== "user-0") throw new Error(`jwtAuthorizer answered principal ${first.principalId}`);
    verifyProduct.push(await timeUs(VERIFY_OPS, (i) => authorizer.authorize(contexts[i + 1], requirement)));
    memoHitProduct.push(await timeUs(HIT_OPS, () => authorizer.authorize(contexts[0], requirement)));
    verifyJose.push(await timeUs(VERIFY_OPS, (i) => jwtVerify(tokens[i + 1]!, publicKey, options)));
    memoPathAlone.push(
      await timeUs(HIT_OPS, async () => {
        if (!memo.get(tokens[0]!)) throw new Error("memo miss");
      }),
    );
  }
  return {
    runtime: `Node ${process.version} (V8 ${process.versions.v8}, OpenSSL ${process.versions.openssl}), one thread, sequential awaits`,
    runs: RUNS,
    verifyProduct: stat(verifyProduct),
    memoHitProduct: stat(memoHitProduct),
    verifyJose: stat(verifyJose),
    memoPathAlone: stat(memoPathAlone),
    opsPerRun: { verify: VERIFY_OPS, memoHit: HIT_OPS },
  };
}
