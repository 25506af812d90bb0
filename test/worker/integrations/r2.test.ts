/**
 * `r2` integrations through the pipeline against Miniflare's real R2 (the example's PET_PHOTOS bucket): objects
 * written and read back streamed, ranges, conditional requests, listings, keys from decoded path parameters, and
 * what never reaches the bucket (an object over maxBodyBytes, an upload without a length).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { gatewayFor } from "../support/gateway.ts";
import { uniqueSegment } from "./backends.ts";

const bucket = () => env.PET_PHOTOS as R2Bucket;

function api(maxBodyBytes?: number): ApiDefinition {
  return {
    name: "r2",
    stages: { prod: {} },
    ...(maxBodyBytes ? { settings: { maxBodyBytes } } : {}),
    routes: {
      "ANY /objects/{key+}": { integration: { type: "r2", bucket: "PET_PHOTOS", key: "tests/{key}" } },
      "GET /listing": { integration: { type: "r2", bucket: "PET_PHOTOS", action: "list", prefix: "tests/" } },
    },
  };
}

/** A PUT as an HTTP client sends it: with its length declared. */
const put = (body: string | Uint8Array, headers: Record<string, string> = {}): RequestInit => ({
  method: "PUT",
  body,
  headers: { "content-length": String(typeof body === "string" ? new TextEncoder().encode(body).byteLength : body.byteLength), ...headers },
});

describe("r2 integration", () => {
  it("writes an object (streamed in), reads it back (streamed out) with its metadata, HEADs and DELETEs it", async () => {
    const gw = await gatewayFor(api());
    const name = `${uniqueSegment()}/photo one.png`;
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    const written = await gw.fetch(`/prod/objects/${name.replace(" ", "%20")}`, put(bytes, { "content-type": "image/png", "cache-control": "max-age=60" }));
    expect(written.status).toBe(200);
    const etag = written.headers.get("etag")!;
    expect(await written.json()).toMatchObject({ key: `tests/${name}`, size: 300_000, etag });
    // The key is the decoded path parameter, under the configured prefix.
    expect((await bucket().head(`tests/${name}`))?.size).toBe(300_000);

    const read = await gw.fetch(`/prod/objects/${name.replace(" ", "%20")}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("content-type")).toBe("image/png");
    expect(read.headers.get("cache-control")).toBe("max-age=60");
    expect(read.headers.get("etag")).toBe(etag);
    expect(read.headers.get("accept-ranges")).toBe("bytes");
    expect(new Uint8Array(await read.arrayBuffer())).toEqual(bytes);

    const head = await gw.fetch(`/prod/objects/${name.replace(" ", "%20")}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("300000");
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    expect((await gw.fetch(`/prod/objects/${name.replace(" ", "%20")}`, { method: "DELETE" })).status).toBe(204);
    const gone = await gw.fetch(`/prod/objects/${name.replace(" ", "%20")}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ message: "Not Found" });
    expect((await gw.fetch(`/prod/objects/${name.replace(" ", "%20")}`, { method: "HEAD" })).status).toBe(404);
  });

  it("serves byte ranges (206, suffix ranges, 416 past the end)", async () => {
    const gw = await gatewayFor(api());
    const key = uniqueSegment();
    await bucket().put(`tests/${key}`, "0123456789");
    const first = await gw.fetch(`/prod/objects/${key}`, { headers: { range: "bytes=2-5" } });
    expect(first.status).toBe(206);
    expect(first.headers.get("content-range")).toBe("bytes 2-5/10");
    expect(await first.text()).toBe("2345");
    const open = await gw.fetch(`/prod/objects/${key}`, { headers: { range: "bytes=7-" } });
    expect([open.status, open.headers.get("content-range"), await open.text()]).toEqual([206, "bytes 7-9/10", "789"]);
    const suffix = await gw.fetch(`/prod/objects/${key}`, { headers: { range: "bytes=-3" } });
    expect([suffix.status, suffix.headers.get("content-range"), await suffix.text()]).toEqual([206, "bytes 7-9/10", "789"]);
    const past = await gw.fetch(`/prod/objects/${key}`, { headers: { range: "bytes=10-" } });
    expect([past.status, past.headers.get("content-range")]).toEqual([416, "bytes */10"]);
    const backwards = await gw.fetch(`/prod/objects/${key}`, { headers: { range: "bytes=5-2" } });
    expect(backwards.status).toBe(416);
    // Several ranges: RFC 9110 lets a server answer the whole object instead.
    const several = await gw.fetch(`/prod/objects/${key}`, { headers: { range: "bytes=0-1,4-5" } });
    expect([several.status, await several.text()]).toEqual([200, "0123456789"]);
  });

  it("answers conditional requests: 304 for a cached copy, 412 for a failed precondition, create-only writes", async () => {
    const gw = await gatewayFor(api());
    const key = uniqueSegment();
    const etag = (await gw.fetch(`/prod/objects/${key}`, put("version one"))).headers.get("etag")!;
    const cached = await gw.fetch(`/prod/objects/${key}`, { headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe(etag);
    expect(await cached.text()).toBe("");
    expect((await gw.fetch(`/prod/objects/${key}`, { headers: { "if-none-match": '"other"' } })).status).toBe(200);
    expect((await gw.fetch(`/prod/objects/${key}`, { headers: { "if-match": '"other"' } })).status).toBe(412);
    expect((await gw.fetch(`/prod/objects/${key}`, { headers: { "if-modified-since": new Date(Date.now() + 86_400_000).toUTCString() } })).status).toBe(304);
    expect((await gw.fetch(`/prod/objects/${key}`, { method: "HEAD", headers: { "if-none-match": etag } })).status).toBe(304);

    // Writes: If-None-Match: * creates only; If-Match updates only the version the client has.
    expect((await gw.fetch(`/prod/objects/${key}`, put("clobbered", { "if-none-match": "*" }))).status).toBe(412);
    expect((await gw.fetch(`/prod/objects/${key}`, put("lost update", { "if-match": '"stale"' }))).status).toBe(412);
    expect(await (await bucket().get(`tests/${key}`))!.text()).toBe("version one");
    expect((await gw.fetch(`/prod/objects/${key}`, put("version two", { "if-match": etag }))).status).toBe(200);
    expect(await (await bucket().get(`tests/${key}`))!.text()).toBe("version two");
    const fresh = uniqueSegment();
    expect((await gw.fetch(`/prod/objects/${fresh}`, put("new", { "if-match": "*" }))).status).toBe(412);
    expect((await gw.fetch(`/prod/objects/${fresh}`, put("new", { "if-none-match": "*" }))).status).toBe(200);
  });

  it("lists keys under the configured prefix plus the client's, with a limit and a cursor", async () => {
    const gw = await gatewayFor(api());
    const dir = uniqueSegment();
    for (const n of ["a", "b", "c"]) await bucket().put(`tests/${dir}/${n}`, n);
    const page = (await (await gw.fetch(`/prod/listing?prefix=${dir}/&limit=2`)).json()) as { objects: { key: string; size: number }[]; truncated: boolean; cursor: string };
    expect(page.objects.map((o) => o.key)).toEqual([`tests/${dir}/a`, `tests/${dir}/b`]);
    expect(page.truncated).toBe(true);
    const rest = (await (await gw.fetch(`/prod/listing?prefix=${dir}/&limit=2&cursor=${encodeURIComponent(page.cursor)}`)).json()) as { objects: { key: string }[]; truncated: boolean };
    expect(rest.objects.map((o) => o.key)).toEqual([`tests/${dir}/c`]);
    expect(rest.truncated).toBe(false);
    expect((await gw.fetch(`/prod/listing?limit=5000`)).status).toBe(400);
  });

  it("refuses what must not reach the bucket: over maxBodyBytes (413), no length (411), another method (405)", async () => {
    const gw = await gatewayFor(api(1000));
    const key = uniqueSegment();
    const big = await gw.fetch(`/prod/objects/${key}`, put("z".repeat(1001)));
    expect(big.status).toBe(413);
    expect(await bucket().head(`tests/${key}`)).toBeNull();
    const chunked = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("no length")), c.close()) });
    const unsized = await gw.fetch(`/prod/objects/${key}`, { method: "PUT", body: chunked, duplex: "half" } as RequestInit);
    expect(unsized.status).toBe(411);
    expect(await unsized.json()).toEqual({ message: "Length Required" });
    expect(await bucket().head(`tests/${key}`)).toBeNull();
    const post = await gw.fetch(`/prod/objects/${key}`, { method: "POST", body: "x", headers: { "content-length": "1" } });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD, PUT, DELETE");
    // The control: within the limit, with a length, it is stored.
    expect((await gw.fetch(`/prod/objects/${key}`, put("z".repeat(1000)))).status).toBe(200);
    expect((await bucket().head(`tests/${key}`))?.size).toBe(1000);
  });

  it("answers 500 when the Worker has no such bucket binding", async () => {
    const gw = await gatewayFor({ name: "r2", stages: { prod: {} }, routes: { "GET /o/{k}": { integration: { type: "r2", bucket: "NO_SUCH_BUCKET", key: "{k}" } } } });
    expect((await gw.fetch("/prod/o/x")).status).toBe(500);
  });
});
