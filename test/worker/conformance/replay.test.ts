/**
 * Conformance as data: every recorded Amazon API Gateway case (aws-recorded.json, vendored whole from the project's
 * shared recordings) replayed through one runner. setups.ts says, per case, which Portico definition and which
 * stand-in backend translate the case's config — or why it cannot be replayed (an explicit skip, with its reason);
 * recorded.ts compares every recorded form. Test names carry the area and the case id; the conformance reporter
 * (test/support/conformance-reporter.ts) prints passed and skipped counts per area at the end of `npm test`.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import type { Env } from "../../../src/env.ts";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { createApp } from "../../../src/app.ts";
import { EmbeddedConfigSource } from "../../../src/deploy/config-source.ts";
import { RegistryConfigSource } from "../../../src/deploy/registry-source.ts";
import { EMBEDDED } from "../deploy/support.ts";
import { awsUrl, createQueue, putObject, queueMessages } from "../support/aws.ts";
import { backendUrl, gatewayFor } from "../support/gateway.ts";
import { compareObserved, observeResponse, recordedRequest, type Observed, type RecordedCase } from "./recorded.ts";
import { CASES, CONFORMANCE_BUCKET, DEVIATIONS, SETUPS, type Setup } from "./setups.ts";

const ENV = env as unknown as Env;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const admin = (path: string, init: { method?: string; json?: unknown } = {}) =>
  SELF.fetch(`http://localhost/_portico${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
const byId = (id: string) => CASES.find((c) => c.id === id)!;
const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/** The case's own SQS queue (prepare: "queue"). */
const queueOf = (api: string) => `conformance-${api}`;

/**
 * A definition for one case: a unique name; `backend` (the local Node backend) and `aws` (the local AWS-compatible
 * server) as variables of every stage that uses them; the case's queue as `queue` and `queueUrl`.
 */
function definitionFor(c: RecordedCase, setup: Setup, api: string): ApiDefinition {
  const def = structuredClone(setup.definition) as ApiDefinition;
  def.name = api;
  const text = JSON.stringify(def);
  const own: Record<string, string> = {};
  if (text.includes("${stageVariables.backend}")) own.backend = backendUrl();
  if (text.includes("${stageVariables.aws}")) own.aws = awsUrl();
  if (setup.prepare === "queue") Object.assign(own, { queue: queueOf(api), queueUrl: `${awsUrl()}/111111111111/${queueOf(api)}` });
  for (const stage of Object.values(def.stages)) {
    stage.variables = { ...own, ...(stage.variables ?? {}) };
    if (stage.variables.TestHost === "") stage.variables.TestHost = backendUrl().replace(/^http:\/\//, "") + "/lambda-url";
  }
  // The S3 case on stage test2 (rest-binary-conversion-invalid-base64-500).
  if (c.request.path?.startsWith("/test2/")) def.stages.test2 = { variables: own };
  if (setup.host) def.domains = [{ host: setup.host, stage: Object.keys(def.stages)[0]! }];
  return def;
}

/** Work before the request; returns values for the request's abstract parts. */
async function prepare(c: RecordedCase, setup: Setup, api: string): Promise<Record<string, string>> {
  switch (setup.prepare) {
    case "api-key":
    case "api-key-disabled": {
      const res = await admin("/keys", { json: { name: `conformance ${api}`, plans: [`${api}/plan`] } });
      expect(res.status).toBe(201);
      const created = (await res.json()) as { key: { id: string }; value: string };
      if (setup.prepare === "api-key-disabled") expect((await admin(`/keys/${created.key.id}`, { method: "PATCH", json: { enabled: false } })).status).toBe(200);
      return { "<key value>": created.value };
    }
    case "objects": {
      // The stored objects, as the case's config describes them: text stated in the config, or the gzip bytes the
      // passthrough case recorded (the object itself), or their base64 text.
      const gzip = fromBase64(byId("rest-binary-conversion-raw-payload-binary-accept-binary").expected.body as string);
      const text = /stored object: (?:UTF-8 text )?'([^']*)'/.exec(c.config)?.[1];
      const content = text !== undefined ? new TextEncoder().encode(text) : c.config.includes("base64 TEXT") ? new TextEncoder().encode(btoa(String.fromCharCode(...gzip))) : gzip;
      const name = c.request.path!.includes("<object>") ? `object-${api}` : c.request.path!.split("/").pop()!;
      // Stored in S3 (signed, as any client would), where the case's integration reads it.
      await putObject(CONFORMANCE_BUCKET, name, content);
      return { "<object>": name };
    }
    case "queue":
      await createQueue(queueOf(api));
      return {};
    default:
      return {};
  }
}

/** The canary case: two deployments of the API, the second a canary at 100% with stage-variable overrides. */
async function canary(c: RecordedCase, api: string): Promise<Response> {
  const template = (which: string) =>
    JSON.stringify({ statusCode: 200, message: `${which} deployment`, variable: "$stageVariables.testVar", nonExistingDefault: "$stageVariables.noStageVar", nonOverridden: "$stageVariables.defaultVar", isCanary: "$context.isCanaryRequest" });
  const def = (which: string) => ({
    name: api,
    stages: { dev: { variables: { testVar: "default", defaultVar: "default" } } },
    routes: { "GET /": { integration: { type: "mock", requestTemplates: { "application/json": '{"statusCode": 200}' }, responses: { default: { statusCode: 200, responseTemplates: { "application/json": template(which) } } } } } },
  });
  expect((await admin("/deployments", { json: { definition: def("default"), stage: "dev" } })).status).toBe(201);
  expect((await admin("/deployments", { json: { definition: def("canary"), stage: "dev", canary: 0 } })).status).toBe(201);
  const overrides = { testVar: "canary", noStageVar: "canary" };
  expect((await admin(`/apis/${api}/stages/dev/canary`, { method: "PUT", json: { percent: 100, stageVariableOverrides: overrides } })).status).toBe(200);
  // The Worker as deployed, serving this API on its own host names (PORTICO_API), stages read from the Registry.
  const appEnv = { ...ENV, PORTICO_API: api, METRICS_FLUSH_MS: "3600000" } as Env;
  const app = createApp({ source: new RegistryConfigSource(appEnv, new EmbeddedConfigSource(EMBEDDED.id, EMBEDDED.bundle, api)) });
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`https://gateway.test${c.request.path}`, { method: c.request.method }), appEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Reads the answer into the shape the case recorded. */
async function observe(c: RecordedCase, setup: Setup, res: Response, api: string): Promise<Observed> {
  const o = await observeResponse(res);
  const text = new TextDecoder().decode(o.bytes);
  const json = () => JSON.parse(text) as Record<string, unknown>;
  // In process the runtime has not yet set the Content-Length it sends with a body of known length.
  const responseHeaders = { "content-length": String(o.bytes.byteLength), ...Object.fromEntries(res.headers) };
  const how = setup.observe ?? "response";
  if (how === "echo-http") {
    const echo = json();
    o.value = { body: echo.json ?? echo.data, headers: echo.headers, "response-headers": responseHeaders };
  } else if (how === "echo-lambda-custom") {
    const event = JSON.parse(json().body as string) as Record<string, unknown>;
    o.value = { body: event, headers: event.headers ?? null, "response-headers": responseHeaders };
  } else if (how === "echo-lambda-proxy") {
    const event = json();
    o.value = { body: event.body, headers: event.headers, "response-headers": responseHeaders };
  } else if (how === "echo-without-headers") {
    const echo = json();
    delete echo.headers;
    o.value = echo;
  } else if (how === "sqs-message") {
    // What the queue received: SendMessage's MessageBody, as SQS stored it.
    const messages = await queueMessages(queueOf(api));
    expect(messages, "exactly one message reached the case's queue").toHaveLength(1);
    o.value = messages![0]!.body;
  } else if (how === "route") o.route = (json() as { route?: string }).route;
  else if (c.expected.rendered_template !== undefined) o.value = text;
  return o;
}

async function replay(c: RecordedCase, setup: Setup): Promise<string[]> {
  const api = `rec-${crypto.randomUUID().slice(0, 8)}`;
  if (setup.prepare === "canary") return compareObserved(c, await observe(c, setup, await canary(c, api), api));
  const gw = await gatewayFor(definitionFor(c, setup, api));
  const values = { ...(setup.values ?? {}), ...(await prepare(c, setup, api)) };
  // An execute-api style host: its first label is the API id, as on Amazon ($context.domainPrefix = apiId).
  const origin = setup.host ? `https://${setup.host}` : `https://${api}.execute-api.portico.test`;
  for (let i = 0; i < (setup.before ?? 0); i++) {
    const res = await gw.request(recordedRequest(c, origin, values, setup.request));
    expect(res.status, `request ${i + 1} before the recorded one`).toBe(200);
    await res.body?.cancel();
    // The plan's throttle (2 per second, burst 1) must not be what refuses: only the quota.
    await sleep(600);
  }
  const request = recordedRequest(c, origin, values, setup.request);
  const trace = request.headers.get("x-amzn-trace-id") ?? undefined;
  const observed = await observe(c, setup, await gw.request(request), api);
  if (trace) observed.requestTraceId = trace;
  return compareObserved(c, observed);
}

describe("the conformance table", () => {
  it("has an entry for every recorded case, and only for recorded cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(140);
    expect(CASES.map((c) => c.id).filter((id) => !(id in SETUPS))).toEqual([]);
    expect(Object.keys(SETUPS).filter((id) => !CASES.some((c) => c.id === id))).toEqual([]);
  });

  it("skips only cases that need Amazon-only infrastructure, each with a reason; WebSocket cases are replayed by websocket.test.ts", () => {
    for (const [id, entry] of Object.entries(SETUPS)) {
      if ("skip" in entry) {
        expect(entry.skip.length, id).toBeGreaterThan(20);
        expect(/Amazon-only|control-plane/.test(entry.skip), id).toBe(true);
      }
      // Exactly the WebSocket cases are replayed elsewhere, and by the file that replays them.
      expect("replayedBy" in entry, id).toBe(id.startsWith("ws-"));
      if ("replayedBy" in entry) expect(entry.replayedBy, id).toBe("websocket.test.ts");
    }
  });
});

describe("recorded Amazon API Gateway cases", () => {
  for (const c of CASES) {
    const entry = SETUPS[c.id]!;
    const name = `[${c.area}] ${c.id}`;
    // Counted by the conformance reporter under the same name, from the file that replays it.
    if ("replayedBy" in entry) continue;
    if ("skip" in entry) {
      it.skip(`${name} — ${entry.skip}`, () => {});
      continue;
    }
    it(name, { timeout: 5_000 + (entry.before ?? 0) * 1_000 }, async () => {
      const problems = await replay(c, entry);
      const deviation = DEVIATIONS[c.id];
      if (!deviation) {
        expect(problems, c.notes || c.config).toEqual([]);
        return;
      }
      // An expected deviation: exactly the listed differences (the recorded value stays the expectation).
      const unexplained = problems.filter((p) => !deviation.problems.some((re) => re.test(p)));
      const missing = deviation.problems.filter((re) => !problems.some((p) => re.test(p)));
      expect({ unexplained, missing }, deviation.reason).toEqual({ unexplained: [], missing: [] });
    });
  }
});
