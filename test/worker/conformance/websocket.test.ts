/**
 * Conformance: every recorded case of areas "websocket" and "websocket-management", replayed as data from the
 * vendored aws-recorded.json (a verbatim copy of shared/conformance/aws-recorded.json, the one replay.test.ts reads;
 * its setup table marks these cases `replayedBy` this file). Tests are named `[area] case-id` as replay.test.ts
 * names its own, so the conformance reporter counts them with the other areas. Each case's expected form decides
 * how it is checked:
 *   - `close_code`: the close the client receives after sending the recorded frame;
 *   - `selected_route`: the route key the frame selects (the route's integration echoes its event back);
 *   - `frame_to_client`: the frame the client receives, as JSON, `{connectionId}`-style placeholders matching the
 *     connection's own ids (any non-empty string where Portico's value is not known to the test);
 *   - `status` (+ `headers`, `body_shape`): the `@connections` answer, SigV4-signed, for a live connection
 *     (`{connection_id}`) or one that is gone (`{stale_id}`).
 * Recorded frames are descriptions ("text frame > 32 KB", "plain text", "<invalid payload>"): FRAMES says which
 * concrete frame stands for each.
 */
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { gatewayFor, type TestGateway } from "../support/gateway.ts";
import { open, type Client } from "../websocket/support.ts";
import recorded from "./aws-recorded.json";

interface WsCase {
  id: string;
  area: string;
  request: { frame?: string; method?: string; path?: string; body?: string };
  expected: {
    close_code?: number;
    selected_route?: string;
    frame_to_client?: Record<string, string>;
    status?: number;
    headers?: Record<string, string>;
    body_shape?: Record<string, unknown>;
  };
}

const CASES = (recorded as unknown as WsCase[]).filter((c) => c.area === "websocket" || c.area === "websocket-management");

const FRAMES: Record<string, string> = {
  "text frame > 32 KB": "x".repeat(32 * 1024 + 1),
  "plain text": "plain text",
  "<invalid payload>": "<invalid payload>",
};

const KEY = "AKIACONFORMANCE00001";
const SECRET = "conformance-management-secret";
const signer = new AwsClient({ accessKeyId: KEY, secretAccessKey: SECRET, service: "execute-api", region: "us-east-1" });

/** One WebSocket API for every case: Amazon's defaults, a model on $default, a route that says which route it is. */
const definition: ApiDefinition = {
  name: "ws-conformance",
  flavor: "websocket",
  stages: { prod: {} },
  models: { Message: { type: "object", required: ["action"] } },
  authorizers: { ops: { type: "sigv4", credentials: { [KEY]: "WS_CONFORMANCE_SECRET" } } },
  websocket: { management: { authorizer: "ops" } },
  routes: {
    $default: { routeResponse: true, validate: { body: "Message" }, integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } },
    whoami: { routeResponse: true, integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } },
  },
};

/** Same API without the model: recorded route selection says nothing about validation. */
const unvalidated: ApiDefinition = { ...definition, name: "ws-conformance-open", routes: { ...definition.routes, $default: { routeResponse: true, integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } } } };

async function connectedClient(gw: TestGateway): Promise<{ c: Client; id: string }> {
  const c = await open(gw, "/prod");
  c.send(JSON.stringify({ action: "whoami" }));
  const event = await c.nextJson<{ requestContext: { connectionId: string } }>();
  return { c, id: event.requestContext.connectionId };
}

const PLACEHOLDER = /^\{[A-Za-z_]+\}$|^<[^<>]+>$/;

function matchesShape(value: unknown, shape: unknown, at: string, problems: string[]): void {
  if (shape && typeof shape === "object") {
    if (!value || typeof value !== "object") return void problems.push(`${at}: missing object`);
    for (const [k, v] of Object.entries(shape)) matchesShape((value as Record<string, unknown>)[k], v, `${at}.${k}`, problems);
    return;
  }
  if (shape === "<ISO-8601>") {
    if (typeof value !== "string" || Number.isNaN(Date.parse(value))) problems.push(`${at}: ${JSON.stringify(value)} is not an ISO-8601 time`);
  } else if (typeof shape === "string" && PLACEHOLDER.test(shape)) {
    if (typeof value !== "string") problems.push(`${at}: ${JSON.stringify(value)} is not a string`);
  } else if (value !== shape) problems.push(`${at}: ${JSON.stringify(value)}, recorded ${JSON.stringify(shape)}`);
}

describe("recorded WebSocket cases", () => {
  it("covers every recorded websocket and websocket-management case", () => {
    expect(CASES.map((c) => c.id).sort()).toEqual([
      "ws-connections-delete-204",
      "ws-connections-get-200",
      "ws-connections-gone-410",
      "ws-frame-too-large-1009",
      "ws-route-selection-non-json-default",
      "ws-route-validation-bad-request-body",
    ]);
  });

  for (const c of CASES)
    it(`[${c.area}] ${c.id}`, async () => {
      const gw = await gatewayFor(c.expected.selected_route !== undefined ? unvalidated : definition, { WS_CONFORMANCE_SECRET: SECRET } as never);
      const { c: client, id } = await connectedClient(gw);
      const e = c.expected;

      if (c.request.frame !== undefined) {
        const frame = FRAMES[c.request.frame];
        expect(frame, `no concrete frame for "${c.request.frame}"`).toBeDefined();
        client.send(frame!);
        if (e.close_code !== undefined) expect((await client.closed()).code).toBe(e.close_code);
        if (e.selected_route !== undefined) {
          const event = await client.nextJson<{ requestContext: { routeKey: string } }>();
          expect(event.requestContext.routeKey).toBe(e.selected_route);
        }
        if (e.frame_to_client !== undefined) {
          const got = await client.nextJson<Record<string, string>>();
          expect(Object.keys(got).sort()).toEqual(Object.keys(e.frame_to_client).sort());
          const problems: string[] = [];
          matchesShape(got, e.frame_to_client, "frame", problems);
          expect(problems).toEqual([]);
          if (e.frame_to_client.connectionId === "{connectionId}") expect(got.connectionId).toBe(id);
        }
        return;
      }

      // Management: the recorded path with this stage and a live or a stale connection id.
      let target = id;
      if (c.request.path!.includes("{stale_id}")) {
        const { id: stale } = await connectedClient(gw);
        await gw.request(await signer.sign(`http://gateway.test/prod/@connections/${stale}`, { method: "DELETE" }));
        target = stale;
      }
      const path = c.request.path!.replace("{stage}", "prod").replace(/\{(connection_id|stale_id)\}/, target);
      const res = await gw.request(await signer.sign(`http://gateway.test${path}`, { method: c.request.method!, ...(c.request.body !== undefined ? { body: c.request.body } : {}) }));
      expect(res.status).toBe(e.status);
      for (const [name, value] of Object.entries(e.headers ?? {})) expect(res.headers.get(name), name).toBe(value);
      if (e.body_shape) {
        const problems: string[] = [];
        matchesShape(await res.json(), e.body_shape, "body", problems);
        expect(problems).toEqual([]);
      }
    });
});
