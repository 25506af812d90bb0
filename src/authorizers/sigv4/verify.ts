/**
 * AWS Signature Version 4 verification (Amazon API Gateway's AWS_IAM authorization), over Web Crypto only.
 *
 * The canonical request is rebuilt exactly as aws4fetch builds it for a non-S3 service such as execute-api, in
 * both the Authorization-header form and the presigned-query form. Failure messages follow Amazon's
 * (IncompleteSignatureException, InvalidSignatureException) but never echo a credential: Amazon echoes the whole
 * Authorization header, which is how Bearer and Basic tokens sent by mistake end up in logs and bug reports.
 */
import type { GatewayResponseType } from "../../config/types.ts";
import { constantTimeEqual } from "../../security/constant-time.ts";

/** One request to verify, and the verifier's configuration and clock. */
export interface SigV4Input {
  method: string;
  /** The full request URL as received: the path includes the stage (`/prod/pets/1`), as the client signed it. */
  url: URL;
  headers: Headers;
  /** The whole body (null or empty: hashed as ""). */
  body: Uint8Array | null;
  /** Milliseconds since the epoch: the verifier's clock. */
  now: number;
  service: string;
  region: string;
  /** The secret access key for an access key id, or undefined when the key is unknown. May throw; the error propagates. */
  secretFor(accessKeyId: string): string | undefined;
  /** The app's derived signing keys (its AppState), kept across requests; without it each request derives its own. */
  signingKeys?: SigningKeyMemo;
}

/** The access key that signed and what it signed, or the gateway response to answer and Amazon's message. */
export type SigV4Result =
  | { ok: true; accessKeyId: string; signedHeaders: string[] }
  | { ok: false; type: GatewayResponseType; message: string };

type Failure = Extract<SigV4Result, { ok: false }>;

/** What the request claims: the signature and the facts it was computed over. */
interface Claim {
  credential: string;
  signedHeaders: string;
  signature: string;
  date: string;
  /** X-Amz-Expires of a presigned request; null for the header form (and a presigned URL without it). */
  expires: string | null;
}

const ALGORITHM = "AWS4-HMAC-SHA256";
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
/** Amazon's allowed clock skew, either way. */
const SKEW_MS = 5 * 60_000;
/** The longest X-Amz-Expires Amazon accepts: one week. */
const MAX_EXPIRES_S = 604_800;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** A lower-case header name (RFC 9110 token): SigV4 signs names lower-cased. */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** In the order Amazon lists them when missing. */
const HEADER_PARAMS = ["Credential", "Signature", "SignedHeaders"] as const;
const QUERY_PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders"] as const;
const encoder = new TextEncoder();
/** Amazon's message, without the canonical request it appends (that is for the client's debugging, not ours to echo). */
const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

const invalid = (message: string): Failure => ({ ok: false, type: "INVALID_SIGNATURE", message });

/**
 * Verifies a SigV4-signed request against the configured service and region. Resolves `ok: false` with the gateway
 * response type and Amazon's message for every failure; only an error thrown by `secretFor` rejects.
 */
export async function verifySigV4(input: SigV4Input): Promise<SigV4Result> {
  const claim = readClaim(input.headers, input.url);
  if ("ok" in claim) return claim;

  const scope = claim.credential.split("/");
  const [accessKeyId, day, region, service, terminator] = scope;
  if (scope.length !== 5 || scope.some((part) => part === "") || accessKeyId === undefined || day === undefined) {
    return invalid(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${clip(claim.credential)}'`);
  }
  const signedAt = parseAmzDate(claim.date);
  if (signedAt === null) return invalid(`Date must be in ISO-8601 'basic format'. Got '${clip(claim.date)}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  if (day !== claim.date.slice(0, 8)) {
    return invalid(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${clip(day)}' != '${claim.date.slice(0, 8)}', from '${claim.date}'.`);
  }
  if (region !== input.region) return invalid("Credential should be scoped to a valid region.");
  if (service !== input.service) return invalid(`Credential should be scoped to correct service: '${input.service}'.`);
  if (terminator !== "aws4_request") return invalid(`Credential should be scoped with a valid terminator: 'aws4_request', not '${clip(terminator ?? "")}'.`);

  const signedHeaders = claim.signedHeaders.split(";");
  if (!signedHeaders.every((name) => HEADER_NAME.test(name))) return invalid("SignedHeaders must list lower-case header names separated by ';'.");
  // SigV4 requires the host to be signed; without it a signature could be replayed against another host.
  if (!signedHeaders.includes("host")) return invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

  const late = checkTime(signedAt, claim.date, input.now, claim.expires);
  if (late) return invalid(late);

  // An empty secret would make the signing key guessable: treat it as no key at all.
  const secret = input.secretFor(accessKeyId);
  if (!secret) return invalid("The security token included in the request is invalid.");

  const actual = hex(await crypto.subtle.digest("SHA-256", input.body ?? new Uint8Array(0)));
  // aws4fetch signs X-Amz-Content-Sha256 in place of the body hash when the header is set (and non-empty), so the
  // header must be the real body's hash: a signature over another body must not pass.
  const declared = input.headers.get("x-amz-content-sha256");
  let payloadHash = actual;
  if (declared === UNSIGNED_PAYLOAD) {
    if (!signedHeaders.includes("x-amz-content-sha256")) return invalid("An 'x-amz-content-sha256' of 'UNSIGNED-PAYLOAD' must be a signed header.");
    payloadHash = UNSIGNED_PAYLOAD;
  } else if (declared && declared !== actual) {
    return invalid("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const canonical = canonicalRequest(input, signedHeaders, payloadHash);
  if (typeof canonical !== "string") return canonical;
  const stringToSign = [ALGORITHM, claim.date, `${day}/${region}/${service}/aws4_request`, hex(await sha256(canonical))].join("\n");
  const expected = hex(await hmac(await signingKey(input.signingKeys, secret, day, region, service), stringToSign));
  if (!constantTimeEqual(expected, claim.signature)) return invalid(MISMATCH);
  return { ok: true, accessKeyId, signedHeaders };
}

/** Finds the signature: the Authorization header or the presigned query, never both. */
function readClaim(headers: Headers, url: URL): Claim | Failure {
  const authorization = headers.get("authorization") ?? "";
  // Any of the presigned parameters but X-Amz-Date (harmless on its own) is an attempt at the query form.
  const presigned = QUERY_PARAMS.some((name) => name !== "X-Amz-Date" && url.searchParams.has(name));
  if (!authorization && !presigned) return { ok: false, type: "MISSING_AUTHENTICATION_TOKEN", message: "Missing Authentication Token" };
  if (authorization && presigned) {
    return invalid("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.");
  }
  return authorization ? fromHeader(authorization, headers) : fromQuery(url.searchParams);
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=…`. */
function fromHeader(value: string, headers: Headers): Claim | Failure {
  const shown = describeAuthorization(value);
  // A repeated Authorization header reaches us joined with ", " by Fetch: two signatures, neither one trusted.
  if (value.split(ALGORITHM).length > 2) return invalid(`Only one Authorization header is allowed. Authorization=${shown}`);
  const space = value.search(/\s/);
  const scheme = space < 0 ? value : value.slice(0, space);
  const params = new Map<string, string>();
  // Amazon answers any other scheme (a Bearer token sent to an AWS_IAM method) as an incomplete signature, not as missing.
  if (scheme === ALGORITHM && space > 0) {
    for (const raw of value.slice(space + 1).split(",")) {
      const part = raw.trim();
      if (!part) continue;
      const eq = part.indexOf("=");
      if (eq < 0) return invalid(`'***' not a valid key=value pair (missing equal-sign) in Authorization header: '${shown}'.`);
      const name = part.slice(0, eq).trim();
      if (!(HEADER_PARAMS as readonly string[]).includes(name)) {
        return invalid(`Authorization header accepts only 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${shown}`);
      }
      if (params.has(name)) return invalid(`Authorization header has more than one '${name}' parameter. Authorization=${shown}`);
      params.set(name, part.slice(eq + 1).trim());
    }
  }
  const date = headers.get("x-amz-date") ?? "";
  const missing = HEADER_PARAMS.filter((name) => !params.get(name)).map((name) => `Authorization header requires '${name}' parameter.`);
  if (!date) missing.push("Authorization header requires existence of a 'X-Amz-Date' header.");
  if (missing.length) return invalid(`${missing.join(" ")} Authorization=${shown}`);
  return { credential: params.get("Credential")!, signedHeaders: params.get("SignedHeaders")!, signature: params.get("Signature")!, date, expires: null };
}

/** `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=…&X-Amz-Date=…&X-Amz-Expires=…&X-Amz-SignedHeaders=host&X-Amz-Signature=…`. */
function fromQuery(query: URLSearchParams): Claim | Failure {
  for (const name of [...QUERY_PARAMS, "X-Amz-Expires"]) {
    if (query.getAll(name).length > 1) return invalid(`AWS query-string parameter '${name}' must appear only once.`);
  }
  const missing = QUERY_PARAMS.filter((name) => !query.get(name));
  if (missing.length) return invalid(`${missing.map((name) => `AWS query-string parameters must include '${name}'.`).join(" ")} Re-examine the query-string parameters.`);
  if (query.get("X-Amz-Algorithm") !== ALGORITHM) return invalid(`X-Amz-Algorithm only supports '${ALGORITHM}'.`);
  return {
    credential: query.get("X-Amz-Credential")!,
    signedHeaders: query.get("X-Amz-SignedHeaders")!,
    signature: query.get("X-Amz-Signature")!,
    date: query.get("X-Amz-Date")!,
    expires: query.get("X-Amz-Expires"),
  };
}

/** Null when in time, else Amazon's message. Compared at whole seconds, as the message prints them. */
function checkTime(signedAt: number, date: string, now: number, expires: string | null): string | null {
  const at = Math.floor(now / 1000) * 1000;
  if (signedAt > at + SKEW_MS) return `Signature not yet current: ${date} is still later than ${amzDate(at + SKEW_MS)} (${amzDate(at)} + 5 min.)`;
  if (expires === null) {
    // Without X-Amz-Expires (the header form, or a presigned URL that sets none) the signature lives 5 minutes.
    return signedAt < at - SKEW_MS ? `Signature expired: ${date} is now earlier than ${amzDate(at - SKEW_MS)} (${amzDate(at)} - 5 min.)` : null;
  }
  if (!/^\d{1,7}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_EXPIRES_S) {
    return `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_EXPIRES_S} (one week).`;
  }
  return at > signedAt + Number(expires) * 1000 ? "Request has expired" : null;
}

/**
 * The canonical request as aws4fetch builds it for a non-S3 service: the path double-encoded (the URL's already
 * encoded pathname goes through encodeURIComponent again, as AWS's SDKs do for every service but S3) with slash
 * runs collapsed; the query form-decoded, re-encoded, sorted by key then value, X-Amz-Signature left out.
 */
function canonicalRequest(input: SigV4Input, signedHeaders: string[], payloadHash: string): string | Failure {
  const path = encodeRfc3986(encodeURIComponent(input.url.pathname.replace(/\/+/g, "/")).replace(/%2F/g, "/"));
  const query = [...input.url.searchParams]
    .filter(([name]) => name !== "" && name !== "X-Amz-Signature")
    .map((pair) => pair.map((part) => encodeRfc3986(encodeURIComponent(part))))
    .sort(([k1, v1], [k2, v2]) => (k1! < k2! ? -1 : k1! > k2! ? 1 : v1! < v2! ? -1 : v1! > v2! ? 1 : 0))
    .map((pair) => pair.join("="))
    .join("&");
  const lines: string[] = [];
  for (const name of signedHeaders) {
    // aws4fetch signs the URL's host, never a Host header; in Workers request.url carries the Host the client sent.
    const value = name === "host" ? input.url.host : input.headers.get(name);
    if (value === null) return invalid(`Signed header '${name}' is missing from the request.`);
    // Fetch already trims and joins repeated headers with ", "; collapse inner whitespace runs as aws4fetch does.
    lines.push(`${name}:${value.replace(/\s+/g, " ").trim()}`);
  }
  return [input.method.toUpperCase(), path, query, lines.join("\n") + "\n", signedHeaders.join(";"), payloadHash].join("\n");
}

/** RFC 3986 reserves `!'()*`, which encodeURIComponent leaves alone. */
function encodeRfc3986(encoded: string): string {
  return encoded.replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

function parseAmzDate(value: string): number | null {
  const m = AMZ_DATE.exec(value);
  if (!m) return null;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  // Date.UTC rolls 20150231 over into March: accept only dates that survive the round trip.
  return amzDate(ms) === value ? ms : null;
}

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/**
 * The Authorization header as it may appear in a message: Credential and SignedHeaders (an access key id is not
 * a secret), everything else starred out. A signature is replayable for minutes, and another scheme's value is a token.
 */
function describeAuthorization(value: string): string {
  const space = value.search(/\s/);
  if (space < 0) return "***";
  const scheme = value.slice(0, space);
  if (scheme !== ALGORITHM) return /^[A-Za-z][A-Za-z0-9._-]{0,31}$/.test(scheme) ? `${scheme} ***` : "***";
  const parts = value.slice(space + 1).split(",").map((raw) => {
    const part = raw.trim();
    const eq = part.indexOf("=");
    const name = part.slice(0, eq).trim();
    return eq > 0 && (name === "Credential" || name === "SignedHeaders") ? `${name}=${clip(part.slice(eq + 1).trim())}` : "***";
  });
  return `${ALGORITHM} ${parts.join(", ")}`;
}

/** A client-supplied value fit for a message: printable ASCII, bounded. */
function clip(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, "?").slice(0, 128);
}

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/**
 * Derived signing keys by secret, day, region and service: one app's (its AppState), never module-level, so a
 * secret given to one app is not held for another.
 */
export type SigningKeyMemo = Map<string, ArrayBuffer>;

/**
 * The derived signing key (four HMACs) for one secret, day, region and service, kept as a value in the app's memo:
 * it changes once a day, so deriving it per request was most of a verification's work. Keyed by the secret itself,
 * so a rotated secret derives afresh.
 */
async function signingKey(memo: SigningKeyMemo | undefined, secret: string, day: string, region: string, service: string): Promise<ArrayBuffer> {
  const id = `${secret}\n${day}\n${region}\n${service}`;
  let key = memo?.get(id);
  if (!key) {
    key = await hmac(encoder.encode("AWS4" + secret), day);
    for (const part of [region, service, "aws4_request"]) key = await hmac(key, part);
    if (memo) {
      if (memo.size >= 1000) memo.clear();
      memo.set(id, key);
    }
  }
  return key;
}

async function hmac(key: ArrayBuffer | Uint8Array, data: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(data));
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
