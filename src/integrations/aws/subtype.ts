/**
 * HTTP API integration subtypes (Amazon's AWS_PROXY with `integrationSubtype`): the named parameters rendered for
 * the request and put into the AWS JSON protocol request the subtype stands for (config/aws-arn.ts has the table),
 * and the services' size limits checked before anything is sent.
 */
import { SUBTYPES, REGION, type SubtypeSpec } from "../../config/aws-arn.ts";
import type { BundleAwsIntegration } from "../../config/bundle-integrations.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { parseHttpValue, type HttpPart } from "../../templates/expressions.ts";
import { bytesToBase64 } from "../../templates/util.ts";
import { renderHttpValues } from "../mapping/request.ts";

/** What each service takes at most (bytes of the field as sent): SQS messages, Step Functions input, events, records. */
export const SERVICE_LIMITS: Record<string, { field: string; bytes: number; what: string }> = {
  "SQS-SendMessage": { field: "MessageBody", bytes: 262_144, what: "an SQS message" },
  "StepFunctions-StartExecution": { field: "Input", bytes: 262_144, what: "a Step Functions execution's input" },
  "EventBridge-PutEvents": { field: "Detail", bytes: 262_144, what: "an EventBridge event" },
  "Kinesis-PutRecord": { field: "Data", bytes: 1_048_576, what: "a Kinesis record" },
};

export interface CompiledSubtype {
  spec: SubtypeSpec;
  names: string[];
  values: HttpPart[][];
}

export function compileSubtype(integration: BundleAwsIntegration): CompiledSubtype {
  const spec = SUBTYPES[integration.subtype!];
  const names: string[] = [];
  const values: HttpPart[][] = [];
  for (const [name, value] of integration.subtypeParameters) {
    const parsed = parseHttpValue(value, "request");
    // Checked when the bundle was compiled: a bundle that fails here was written by another version.
    if ("error" in parsed) throw new Error(`subtype parameter ${name}: ${parsed.error}`);
    names.push(name);
    values.push(parsed.ok);
  }
  return { spec, names, values };
}

const encoder = new TextEncoder();
const badParameter = (message: string) => new GatewayError("BAD_REQUEST_PARAMETERS", { message, detail: message });

/** The JSON request for this invocation and the region it is signed for. */
export async function subtypeRequest(ctx: RequestContext, compiled: CompiledSubtype, integration: BundleAwsIntegration): Promise<{ body: string; region: string }> {
  const rendered = await renderHttpValues(ctx, compiled.values);
  const fields: Record<string, unknown> = {};
  let region = integration.region;
  const missing: string[] = [];
  compiled.names.forEach((name, i) => {
    const value = rendered[i]!;
    if (name === "Region") {
      if (value !== "") region = value;
      return;
    }
    const parameter = compiled.spec.parameters[name]!;
    if (value === "") {
      if (compiled.spec.required.includes(name)) missing.push(name);
      return;
    }
    const limit = SERVICE_LIMITS[integration.subtype!];
    if (limit?.field === name && encoder.encode(value).byteLength > limit.bytes)
      throw new GatewayError("REQUEST_TOO_LARGE", { message: `${limit.what} is at most ${limit.bytes} bytes`, detail: `${name} over ${limit.bytes} bytes` });
    fields[parameter.field] = convert(name, value, parameter.kind);
  });
  if (missing.length) throw badParameter(`Missing required request parameters: [${missing.join(", ")}]`);
  if (!REGION.test(region)) throw new GatewayError("API_CONFIGURATION_ERROR", { detail: `the subtype's region renders to "${region.slice(0, 40)}"` });
  const body = compiled.spec.entry ? { Entries: [fields] } : fields;
  return { body: JSON.stringify(body), region };
}

function convert(name: string, value: string, kind: "string" | "integer" | "json" | "base64"): unknown {
  switch (kind) {
    case "string":
      return value;
    case "integer":
      if (!/^-?\d{1,15}$/.test(value.trim())) throw badParameter(`Invalid request parameter ${name}: not a whole number`);
      return Number(value);
    case "json":
      try {
        return JSON.parse(value);
      } catch {
        throw badParameter(`Invalid request parameter ${name}: not JSON`);
      }
    case "base64":
      // Kinesis takes Data as a blob: the JSON protocol carries it base64-encoded, as AWS's SDKs send it.
      return bytesToBase64(encoder.encode(value));
  }
}

/**
 * The MessageBody of an SQS request a template rendered (JSON protocol, a form-encoded query-protocol body, or the
 * query string), over SQS's 256 KiB limit: its size, else null.
 */
export function oversizeSqsMessage(body: string | Uint8Array | null, contentType: string | null, query: [string, string][]): number | null {
  const limit = SERVICE_LIMITS["SQS-SendMessage"]!.bytes;
  const candidates: string[] = query.filter(([k]) => k === "MessageBody").map(([, v]) => v);
  const text = body === null ? "" : typeof body === "string" ? body : new TextDecoder().decode(body);
  if (text.length > limit) {
    if (/json/i.test(contentType ?? "")) {
      try {
        const value = JSON.parse(text) as { MessageBody?: unknown };
        if (typeof value?.MessageBody === "string") candidates.push(value.MessageBody);
      } catch {
        // Not JSON: SQS answers for itself.
      }
    } else candidates.push(...new URLSearchParams(text).getAll("MessageBody"));
  }
  for (const c of candidates) {
    const size = encoder.encode(c).byteLength;
    if (size > limit) return size;
  }
  return null;
}
