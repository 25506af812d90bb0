/**
 * The integration kinds beyond HTTP — `aws` (ARN URIs and HTTP API subtypes), `queue`, `r2`, `workflow` — and the
 * fields every proxy may carry: private integrations (`connectionType: VPC_LINK`) and response streaming
 * (`responseTransferMode: STREAM`, Amazon's rules). Checked with field paths when a definition compiles, then built
 * into the bundle with every default resolved.
 */
import { checkOutboundTemplate } from "../security/outbound.ts";
import { parseHttpValue } from "../templates/expressions.ts";
import { parseAwsUri, REGION, SUBTYPES } from "./aws-arn.ts";
import type { BundleAwsIntegration, BundleIntegration, BundleStreaming } from "./bundle-integrations.ts";
import { didYouMean, type FieldError, isObject } from "./field-errors.ts";
import { buildMapping } from "./compile-mapping.ts";
import type { RouteDefinition, RouteMethod } from "./types.ts";
import type {
  AwsIntegrationDefinition,
  IntegrationDefinition,
  QueueIntegrationDefinition,
  R2IntegrationDefinition,
  WorkflowIntegrationDefinition,
} from "./integration-types.ts";

type Path = (string | number)[];

/** Amazon's default integration timeout, and the idle timeout of a streamed response (regional endpoints). */
const DEFAULT_TIMEOUT_MS = 29_000;
export const DEFAULT_STREAM_IDLE_MS = 300_000;
/** The longest integration timeout without streaming; with it, 15 minutes (Amazon's rule). */
const BUFFERED_MAX_TIMEOUT_MS = 300_000;

export interface KindContext {
  flavor: "rest" | "http";
  method: RouteMethod;
  /** The route's path parameters and those the integration maps. */
  params: string[];
  at: (...rest: Path) => Path;
  errors: FieldError[];
  localDev: boolean;
  /** Checks `{param}` and `${stageVariables.x}` in a template (compile-rules.ts's rules). */
  checkTemplate: (text: unknown, path: Path) => void;
}

/** The checks for the kinds and fields this file owns; the rest of an integration is checked by compile-rules.ts. */
export function checkIntegrationKind(route: RouteDefinition, integration: IntegrationDefinition, c: KindContext): void {
  checkPrivate(integration, c);
  checkStreaming(route, integration, c);
  switch (integration.type) {
    case "aws":
      return checkAws(integration, c);
    case "queue":
      return checkQueue(integration, c);
    case "r2":
      return checkR2(integration, c);
    case "workflow":
      return checkWorkflow(integration, c);
  }
}

function checkPrivate(integration: IntegrationDefinition, c: KindContext): void {
  if (integration.type !== "http" && integration.type !== "http_proxy") return;
  const vpc = integration.connectionType === "VPC_LINK";
  if (vpc && integration.connectionId === undefined)
    c.errors.push({ path: c.at("integration", "connectionId"), message: "required with connectionType VPC_LINK: the binding that reaches the private backend" });
  if (!vpc && integration.connectionId !== undefined)
    c.errors.push({ path: c.at("integration", "connectionId"), message: "only applies with connectionType VPC_LINK" });
  if (vpc && integration.service !== undefined)
    c.errors.push({ path: c.at("integration", "service"), message: "a VPC_LINK integration names its binding in connectionId; drop service" });
  // HTTP APIs send the request's own path (the stage first) to a private integration: its URI gives the origin.
  if (vpc && c.flavor === "http" && integration.type === "http_proxy" && typeof integration.uri === "string") {
    const path = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/?#]*|(?:\$\{stageVariables\.[^}]*\})+)(.*)$/i.exec(integration.uri)?.[1] ?? "";
    if (path !== "" && path !== "/")
      c.errors.push({
        path: c.at("integration", "uri"),
        message: "on HTTP APIs a private integration sends the request's path with the stage first (Amazon's rule): give only the origin here, and map overwrite:path to change the path",
      });
  }
}

function checkStreaming(route: RouteDefinition, integration: IntegrationDefinition, c: KindContext): void {
  const def = integration as { responseTransferMode?: string; streamIdleTimeoutMs?: number; timeoutMs?: number; payloadFormat?: string };
  const stream = def.responseTransferMode === "STREAM";
  if (stream) {
    const where = c.at("integration", "responseTransferMode");
    if (c.flavor === "http") c.errors.push({ path: where, message: "Amazon streams responses on REST APIs only" });
    else if (integration.type === "service" && def.payloadFormat === "custom")
      c.errors.push({ path: where, message: "only proxy integrations stream (http_proxy, service raw/1.0/2.0): a Lambda custom integration's response templates need the whole response" });
    if (isObject(route.cache) && route.cache.enabled === true)
      c.errors.push({ path: c.at("cache", "enabled"), message: "a streaming route is never cached (Amazon's rule for responseTransferMode STREAM)" });
  } else if (def.streamIdleTimeoutMs !== undefined) {
    c.errors.push({ path: c.at("integration", "streamIdleTimeoutMs"), message: "only applies with responseTransferMode STREAM" });
  }
  if (!stream && typeof def.timeoutMs === "number" && def.timeoutMs > BUFFERED_MAX_TIMEOUT_MS)
    c.errors.push({ path: c.at("integration", "timeoutMs"), message: `at most ${BUFFERED_MAX_TIMEOUT_MS} unless the response streams (responseTransferMode STREAM: up to 900000)` });
}

function checkAws(integration: AwsIntegrationDefinition, c: KindContext): void {
  const at = (...rest: Path) => c.at("integration", ...rest);
  if (c.flavor === "rest") {
    if (integration.subtype !== undefined) c.errors.push({ path: at("subtype"), message: "subtypes are HTTP APIs'; on REST APIs give uri and map the request with a template" });
    if (integration.uri === undefined) c.errors.push({ path: at("uri"), message: "required: arn:aws:apigateway:{region}:{service}:action/{Action} or …:path/{path}" });
    if (integration.region !== undefined) c.errors.push({ path: at("region"), message: "the region is the uri's" });
  } else {
    if (integration.uri !== undefined) c.errors.push({ path: at("uri"), message: "HTTP APIs call AWS services through a subtype (Amazon's AWS_PROXY): give subtype and its requestParameters" });
    if (integration.subtype === undefined) c.errors.push({ path: at("subtype"), message: "required on HTTP APIs: one of " + Object.keys(SUBTYPES).join(", ") });
  }
  if (typeof integration.uri === "string") {
    const parsed = parseAwsUri(integration.uri);
    if ("error" in parsed) c.errors.push({ path: at("uri"), message: parsed.error });
    else if (parsed.form === "path") c.checkTemplate(parsed.target, at("uri"));
  }
  if (typeof integration.endpoint === "string") {
    if (!integration.endpoint.startsWith("${") && !/^https?:\/\//i.test(integration.endpoint))
      c.errors.push({ path: at("endpoint"), message: "must be an http:// or https:// URL" });
    if (/\{[^{}$]+\}/.test(integration.endpoint.replace(/\$\{stageVariables\.[^}]*\}/g, "")))
      c.errors.push({ path: at("endpoint"), message: "cannot use path parameters: it names the service, the uri names the resource" });
    else for (const message of checkOutboundTemplate(integration.endpoint, { localDev: c.localDev, network: true })) c.errors.push({ path: at("endpoint"), message });
    c.checkTemplate(integration.endpoint, at("endpoint"));
  }
  if (integration.subtype !== undefined && c.flavor === "http") checkSubtype(integration, at, c.errors);
}

function checkSubtype(integration: AwsIntegrationDefinition, at: (...rest: Path) => Path, errors: FieldError[]): void {
  const spec = SUBTYPES[integration.subtype!];
  if (!spec) return;
  for (const field of ["requestTemplates", "passthroughBehavior", "contentHandling", "responses"] as const)
    if (integration[field] !== undefined) errors.push({ path: at(field), message: "a subtype maps its parameters only (Amazon's AWS_PROXY passes the service's answer through)" });
  const params = isObject(integration.requestParameters) ? integration.requestParameters : {};
  const known = [...Object.keys(spec.parameters), "Region"];
  for (const [name, value] of Object.entries(params)) {
    const here = at("requestParameters", name);
    if (!known.includes(name)) {
      const hint = didYouMean(name, known);
      errors.push({ path: here, message: `not a parameter of ${integration.subtype}` + (hint ? ` (did you mean "${hint}"?)` : `; it takes ${known.join(", ")}`) });
      continue;
    }
    if (typeof value !== "string") continue;
    const parsed = parseHttpValue(value, "request");
    if ("error" in parsed) errors.push({ path: here, message: parsed.error });
    else if (name === "Region" && parsed.ok.every((p) => typeof p === "string") && !REGION.test(value))
      errors.push({ path: here, message: `"${value}" is not an AWS region` });
  }
  for (const name of spec.required)
    if (params[name] === undefined) errors.push({ path: at("requestParameters", name), message: `required by ${integration.subtype}` });
  if (integration.region === undefined && params.Region === undefined)
    errors.push({ path: at("region"), message: "required: the subtype's region (or a Region parameter)" });
}

function checkQueue(integration: QueueIntegrationDefinition, c: KindContext): void {
  if (integration.batch === true && integration.contentType !== undefined && integration.contentType !== "json")
    c.errors.push({ path: c.at("integration", "contentType"), message: "a batch is a JSON array: its messages are sent as json" });
}

const OBJECT_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE", "ANY"]);
const LIST_METHODS = new Set(["GET", "HEAD", "ANY"]);

function checkR2(integration: R2IntegrationDefinition, c: KindContext): void {
  const list = integration.action === "list";
  if (!list && integration.key === undefined) c.errors.push({ path: c.at("integration", "key"), message: "required: the object's key (e.g. `photos/{key}`)" });
  if (list && integration.key !== undefined) c.errors.push({ path: c.at("integration", "key"), message: "a listing has a prefix, not a key" });
  if (!list && integration.prefix !== undefined) c.errors.push({ path: c.at("integration", "prefix"), message: "only applies with action list" });
  if (!(list ? LIST_METHODS : OBJECT_METHODS).has(c.method))
    c.errors.push({ path: c.at("integration", "action"), message: list ? "a listing answers GET (and HEAD)" : `an object answers GET, HEAD, PUT and DELETE, not ${c.method}` });
  c.checkTemplate(integration.key, c.at("integration", "key"));
  c.checkTemplate(integration.prefix, c.at("integration", "prefix"));
}

function checkWorkflow(integration: WorkflowIntegrationDefinition, c: KindContext): void {
  if (integration.action === "status") {
    if (integration.instanceId === undefined) c.errors.push({ path: c.at("integration", "instanceId"), message: "required: which instance (e.g. `{id}`)" });
    for (const field of ["requestTemplates", "passthroughBehavior"] as const)
      if (integration[field] !== undefined) c.errors.push({ path: c.at("integration", field), message: "reading a status sends no request body to map" });
  }
  c.checkTemplate(integration.instanceId, c.at("integration", "instanceId"));
}

/** The bundle's streaming fields of a proxy integration: none unless it streams (see BundleStreaming). */
export function buildStreaming(integration: { responseTransferMode?: "BUFFERED" | "STREAM"; streamIdleTimeoutMs?: number }): BundleStreaming {
  if (integration.responseTransferMode !== "STREAM") return {};
  return { responseTransferMode: "STREAM", streamIdleTimeoutMs: integration.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_MS };
}

/** The bundle's form of the kinds this file owns; null for the others. */
export function buildIntegrationKind(integration: IntegrationDefinition): BundleIntegration | null {
  switch (integration.type) {
    case "aws":
      return buildAws(integration);
    case "queue":
      return {
        type: "queue",
        queue: integration.queue,
        batch: integration.batch ?? false,
        contentType: integration.contentType ?? null,
        delaySeconds: integration.delaySeconds ?? 0,
        envelope: integration.envelope ?? false,
        mapping: buildMapping(integration),
      };
    case "r2":
      return {
        type: "r2",
        bucket: integration.bucket,
        action: integration.action ?? "object",
        key: integration.key ?? null,
        prefix: integration.prefix ?? "",
        mapping: null,
      };
    case "workflow":
      return {
        type: "workflow",
        workflow: integration.workflow,
        action: integration.action ?? "create",
        instanceId: integration.instanceId ?? null,
        mapping: buildMapping(integration),
      };
    default:
      return null;
  }
}

function buildAws(integration: AwsIntegrationDefinition): BundleAwsIntegration {
  const credentials = { accessKeyId: integration.credentials.accessKeyId, secretAccessKey: integration.credentials.secretAccessKey, sessionToken: integration.credentials.sessionToken ?? null };
  const common = { type: "aws" as const, credentials, endpoint: integration.endpoint ?? null, timeoutMs: integration.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  if (integration.subtype) {
    const spec = SUBTYPES[integration.subtype];
    return {
      ...common,
      uri: null,
      service: spec.service,
      region: integration.region ?? "",
      subdomain: null,
      form: null,
      target: spec.target,
      httpMethod: "POST",
      subtype: integration.subtype,
      subtypeParameters: Object.entries(integration.requestParameters ?? {}),
      mapping: null,
    };
  }
  const parsed = parseAwsUri(integration.uri!) as Exclude<ReturnType<typeof parseAwsUri>, { error: string }>;
  return {
    ...common,
    uri: integration.uri!,
    service: parsed.service,
    region: parsed.region,
    subdomain: parsed.subdomain,
    form: parsed.form,
    target: parsed.target,
    httpMethod: integration.httpMethod ?? "POST",
    subtype: null,
    subtypeParameters: [],
    mapping: buildMapping(integration),
  };
}
