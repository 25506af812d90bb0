/** The isolate's metrics batch (pure): grouping by API/stage/version/slot, 4xx/5xx counts, when to flush, draining. */
import { describe, expect, it } from "vitest";
import { METRICS_SLOT_MS } from "../deploy/types.ts";
import { bucketIndex } from "./histogram.ts";
import { MetricsBuffer, type Observation } from "./metrics.ts";

const T0 = 1_700_000_000_000; // a slot boundary (a multiple of 10 s)
const obs = (o: Partial<Observation> = {}): Observation => ({
  api: "a",
  stage: "prod",
  version: "v1",
  status: 200,
  latencyMs: 10,
  integrationLatencyMs: 5,
  ...o,
});
const sum = (h: number[]) => h.reduce((x, y) => x + y, 0);

describe("MetricsBuffer", () => {
  it("groups by API, stage, version and slot", () => {
    const buffer = new MetricsBuffer();
    buffer.record(obs(), T0 + 1);
    buffer.record(obs(), T0 + 9_999);
    buffer.record(obs({ version: "v2" }), T0 + 2);
    buffer.record(obs({ stage: "dev" }), T0 + 3);
    buffer.record(obs({ api: "b" }), T0 + 4);
    buffer.record(obs(), T0 + METRICS_SLOT_MS);
    const out = buffer.drain(T0 + 20_000);
    expect([...out.keys()].sort()).toEqual(["a", "b"]);
    const a = out.get("a")!;
    expect(a).toHaveLength(4);
    const find = (stage: string, version: string, slot: number) => a.find((s) => s.stage === stage && s.version === version && s.slot === slot);
    expect(find("prod", "v1", T0)?.count).toBe(2);
    expect(find("prod", "v1", T0 + METRICS_SLOT_MS)?.count).toBe(1);
    expect(find("prod", "v2", T0)?.count).toBe(1);
    expect(find("dev", "v1", T0)?.count).toBe(1);
    expect(out.get("b")).toHaveLength(1);
    for (const s of a) expect(s.slot % METRICS_SLOT_MS).toBe(0);
  });

  it("counts 4xx and 5xx apart from the total", () => {
    const buffer = new MetricsBuffer();
    for (const status of [200, 204, 302, 400, 404, 499, 500, 503, 504]) buffer.record(obs({ status }), T0);
    const [sample] = buffer.drain(T0).get("a")!;
    expect(sample).toMatchObject({ count: 9, c4xx: 3, c5xx: 3 });
  });

  it("keeps latency and integration-latency histograms; a response without an integration adds no integration latency", () => {
    const buffer = new MetricsBuffer();
    buffer.record(obs({ latencyMs: 12, integrationLatencyMs: 7 }), T0);
    buffer.record(obs({ latencyMs: 250, integrationLatencyMs: undefined }), T0);
    const [sample] = buffer.drain(T0).get("a")!;
    expect(sum(sample!.latency)).toBe(2);
    expect(sample!.latency[bucketIndex(12)]).toBe(1);
    expect(sample!.latency[bucketIndex(250)]).toBe(1);
    expect(sum(sample!.integrationLatency)).toBe(1);
    expect(sample!.integrationLatency[bucketIndex(7)]).toBe(1);
  });

  it("is due by time once something is recorded", () => {
    const buffer = new MetricsBuffer();
    buffer.drain(T0);
    expect(buffer.due(5000, T0 + 60_000)).toBe(false); // nothing to send
    buffer.record(obs(), T0 + 1);
    expect(buffer.due(5000, T0 + 4_999)).toBe(false);
    expect(buffer.due(5000, T0 + 5_000)).toBe(true);
  });

  it("is due by size before the time is up", () => {
    const buffer = new MetricsBuffer();
    buffer.drain(T0);
    for (let i = 0; i < 499; i++) buffer.record(obs({ version: `v${i}` }), T0);
    expect(buffer.due(60_000, T0 + 1)).toBe(false);
    // More requests for a known sample do not grow the batch.
    for (let i = 0; i < 100; i++) buffer.record(obs({ version: "v0" }), T0);
    expect(buffer.due(60_000, T0 + 1)).toBe(false);
    buffer.record(obs({ version: "v-last" }), T0);
    expect(buffer.due(60_000, T0 + 1)).toBe(true);
  });

  it("drain empties the buffer and restarts the clock", () => {
    const buffer = new MetricsBuffer();
    buffer.record(obs(), T0);
    buffer.record(obs({ api: "b" }), T0);
    expect(buffer.drain(T0 + 10).size).toBe(2);
    expect(buffer.drain(T0 + 10).size).toBe(0);
    expect(buffer.due(5000, T0 + 100_000)).toBe(false);
    buffer.record(obs(), T0 + 20);
    expect(buffer.due(5000, T0 + 5_009)).toBe(false);
    expect(buffer.due(5000, T0 + 5_010)).toBe(true);
    const again = buffer.drain(T0 + 5_010).get("a")!;
    expect(again).toHaveLength(1);
    expect(again[0]!.count).toBe(1);
  });

  it("takes back a batch whose flush failed, merged with what was recorded since", () => {
    const buffer = new MetricsBuffer();
    buffer.record(obs({ status: 503, version: "unavailable" }), T0 + 1);
    const failed = buffer.drain(T0 + 2).get("a")!;
    buffer.record(obs({ status: 503, version: "unavailable" }), T0 + 3);
    buffer.restore("a", failed);
    const [sample] = buffer.drain(T0 + 4).get("a")!;
    expect([sample!.version, sample!.count, sample!.c5xx, sum(sample!.latency)]).toEqual(["unavailable", 2, 2, 2]);
  });

  it("keeps every counter of a batch it takes back: refusals for stale keys and WebSocket counts too", () => {
    const buffer = new MetricsBuffer();
    buffer.record(obs({ status: 401, failClosed: 1 }), T0 + 1);
    buffer.recordWebSocket({ api: "a", stage: "prod", version: "v1", wsConnects: 1, wsMessages: 3, wsMessagesOut: 2, wsDisconnects: 1 }, T0 + 1);
    const failed = buffer.drain(T0 + 2).get("a")!;
    buffer.record(obs({ status: 401, failClosed: 1 }), T0 + 3);
    buffer.recordWebSocket({ api: "a", stage: "prod", version: "v1", wsMessages: 1 }, T0 + 3);
    buffer.restore("a", failed);
    const [sample] = buffer.drain(T0 + 4).get("a")!;
    expect([sample!.count, sample!.failClosed, sample!.wsConnects, sample!.wsMessages, sample!.wsMessagesOut, sample!.wsDisconnects]).toEqual([2, 2, 1, 4, 2, 1]);
  });
});
