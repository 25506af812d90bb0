/**
 * `r2`: objects in an R2 bucket, the S3 analogue, streamed both ways. The route's method is the operation — GET
 * (with `Range` and the conditional headers: 206, 304, 412, 416 as RFC 9110 says), HEAD, PUT (Content-Length
 * required, as S3 requires it: the body streams into R2 with its length known; If-Match / If-None-Match make it
 * conditional), DELETE — or, with `action: list`, the keys under a prefix as JSON. Keys come from the key template
 * with path parameters decoded (the path matched is never decoded; an object key is a name, not a path).
 * An object over `maxBodyBytes` never reaches R2: the declared length is refused first (413).
 */
import type { Bundle } from "../../config/bundle.ts";
import type { BundleR2Integration } from "../../config/bundle-integrations.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { bindingFailure, bindingOf, jsonResponse } from "../bindings.ts";
import { compileTemplate, renderTemplate, type TemplatePart } from "../template.ts";
import type { Integration } from "../types.ts";
import { parseRange, preconditionForAbsent, preconditionStatus, resolveRange } from "./conditions.ts";

/** R2's longest key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
const MAX_LIST = 1000;
const CONDITIONAL = ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"];

export function r2Integration(spec: BundleR2Integration, _bundle: Bundle): Integration {
  const key = spec.key === null ? null : compileTemplate(spec.key);
  const prefix = compileTemplate(spec.prefix);
  return {
    type: "r2",
    async invoke(ctx: RequestContext): Promise<Response> {
      const bucket = bindingOf<R2Bucket>(ctx, spec.bucket, "get", "R2 bucket");
      const started = performance.now();
      try {
        if (spec.action === "list") return await list(ctx, bucket, renderKey(prefix, ctx, true));
        const name = renderKey(key!, ctx, false);
        switch (ctx.request.method) {
          case "GET":
            return await get(ctx, bucket, name);
          case "HEAD":
            return await head(ctx, bucket, name);
          case "PUT":
            return await put(ctx, bucket, name);
          case "DELETE":
            await bucket.delete(name);
            return new Response(null, { status: 204 });
          default:
            throw new GatewayError("DEFAULT_4XX", { status: 405, message: "Method Not Allowed", headers: { allow: "GET, HEAD, PUT, DELETE" } });
        }
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        throw bindingFailure(`R2 bucket ${spec.bucket}`, err);
      } finally {
        ctx.integrationLatencyMs = performance.now() - started;
      }
    },
  };
}

/** The key (or prefix) with path parameters decoded; a key R2 cannot hold is the client's error (400). */
function renderKey(parts: TemplatePart[], ctx: RequestContext, empty: boolean): string {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.pathParams)) {
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      throw new GatewayError("DEFAULT_4XX", { message: "Invalid object key", detail: `path parameter ${name} is not valid percent-encoding` });
    }
  }
  const rendered = renderTemplate(parts, ctx.stageVariables, params);
  if ((!empty && rendered === "") || new TextEncoder().encode(rendered).byteLength > MAX_KEY_BYTES || /[\0]/.test(rendered))
    throw new GatewayError("DEFAULT_4XX", { message: "Invalid object key", detail: `object key of ${rendered.length} characters` });
  return rendered;
}

function objectHeaders(object: R2Object): Headers {
  const headers = new Headers();
  object.writeHttpMetadata(headers);
  headers.set("etag", object.httpEtag);
  headers.set("last-modified", object.uploaded.toUTCString());
  headers.set("accept-ranges", "bytes");
  return headers;
}

async function get(ctx: RequestContext, bucket: R2Bucket, key: string): Promise<Response> {
  const requested = parseRange(ctx.request.headers.get("range"));
  if (requested === "invalid") return unsatisfiable(bucket, key);
  const conditional = CONDITIONAL.some((h) => ctx.request.headers.has(h));
  const range = requested === null ? undefined : "suffix" in requested ? requested : requested.length === Number.MAX_SAFE_INTEGER ? { offset: requested.offset } : requested;
  let object: R2Object | R2ObjectBody | null;
  try {
    object = await bucket.get(key, { ...(range ? { range } : {}), ...(conditional ? { onlyIf: ctx.request.headers } : {}) });
  } catch (err) {
    if (/not satisfiable/i.test((err as Error)?.message ?? "")) return unsatisfiable(bucket, key);
    throw err;
  }
  if (!object) return notFound();
  const headers = objectHeaders(object);
  if (!("body" in object)) {
    const status = preconditionStatus(ctx.request.headers, object.httpEtag, object.uploaded, true) ?? 412;
    return new Response(null, { status, headers: status === 304 ? headers : { etag: object.httpEtag } });
  }
  if (requested) {
    const served = resolveRange(requested, object.size)!;
    headers.set("content-range", `bytes ${served.offset}-${served.offset + served.length - 1}/${object.size}`);
    headers.set("content-length", String(served.length));
    return new Response(object.body, { status: 206, headers });
  }
  headers.set("content-length", String(object.size));
  return new Response(object.body, { status: 200, headers });
}

async function unsatisfiable(bucket: R2Bucket, key: string): Promise<Response> {
  const object = await bucket.head(key);
  if (!object) return notFound();
  return new Response(null, { status: 416, headers: { "content-range": `bytes */${object.size}` } });
}

async function head(ctx: RequestContext, bucket: R2Bucket, key: string): Promise<Response> {
  const object = await bucket.head(key);
  if (!object) return new Response(null, { status: 404 });
  const headers = objectHeaders(object);
  const status = preconditionStatus(ctx.request.headers, object.httpEtag, object.uploaded, true);
  if (status) return new Response(null, { status, headers: status === 304 ? headers : { etag: object.httpEtag } });
  headers.set("content-length", String(object.size));
  return new Response(null, { status: 200, headers });
}

async function put(ctx: RequestContext, bucket: R2Bucket, key: string): Promise<Response> {
  // R2 (like S3) takes a stream only with its length known up front: the client declares it.
  if (!ctx.request.headers.has("content-length"))
    throw new GatewayError("DEFAULT_4XX", { status: 411, message: "Length Required", detail: "an object upload without Content-Length" });
  const headers = ctx.request.headers;
  if (headers.has("if-match") && !(await bucket.head(key)) && preconditionForAbsent(headers)) return preconditionFailed();
  const body = (await ctx.bodyForForwarding()) ?? new Uint8Array();
  const conditional = headers.has("if-match") || headers.has("if-none-match") || headers.has("if-unmodified-since");
  const object = await bucket.put(key, body, { httpMetadata: headers, ...(conditional ? { onlyIf: headers } : {}) });
  if (!object) return preconditionFailed();
  return jsonResponse({ key: object.key, size: object.size, etag: object.httpEtag, uploaded: object.uploaded.toISOString() }, 200, { etag: object.httpEtag });
}

async function list(ctx: RequestContext, bucket: R2Bucket, configured: string): Promise<Response> {
  const query = ctx.url.searchParams;
  const limit = Number(query.get("limit") ?? MAX_LIST);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST) throw new GatewayError("DEFAULT_4XX", { message: `limit must be a whole number from 1 to ${MAX_LIST}` });
  const prefix = configured + (query.get("prefix") ?? "");
  if (new TextEncoder().encode(prefix).byteLength > MAX_KEY_BYTES) throw new GatewayError("DEFAULT_4XX", { message: "Invalid prefix" });
  const cursor = query.get("cursor");
  const delimiter = query.get("delimiter");
  const listed = await bucket.list({ prefix, limit, ...(cursor ? { cursor } : {}), ...(delimiter ? { delimiter } : {}) });
  const body = {
    objects: listed.objects.map((o) => ({ key: o.key, size: o.size, etag: o.httpEtag, uploaded: o.uploaded.toISOString() })),
    delimitedPrefixes: listed.delimitedPrefixes,
    truncated: listed.truncated,
    ...(listed.truncated ? { cursor: listed.cursor } : {}),
  };
  return ctx.request.method === "HEAD" ? new Response(null, { headers: { "content-type": "application/json" } }) : jsonResponse(body);
}

const notFound = () => jsonResponse({ message: "Not Found" }, 404);
const preconditionFailed = () => jsonResponse({ message: "Precondition Failed" }, 412);
