/**
 * What a definition names in the Worker's environment, each with its field path: bindings (services, a private
 * integration's `connectionId` — a service or a Workers VPC service —, queue producers, R2 buckets, Workflows),
 * secrets (JWT and SigV4 keys, cache encryption, AWS integration credentials), and the stage variables its URIs,
 * keys and parameter mappings use. Read from the definition as written, defensively: it may also have shape
 * errors, reported elsewhere.
 */
import { isObject, type FieldError } from "../../src/config/field-errors.ts";

export type BindingKind = "service" | "private" | "queue" | "bucket" | "workflow";

export interface BindingRef {
  kind: BindingKind;
  name: string;
  path: FieldError["path"];
}

export interface NameRef {
  name: string;
  path: FieldError["path"];
}

export interface References {
  bindings: BindingRef[];
  secrets: NameRef[];
  stageVariables: NameRef[];
}

const TEMPLATE_VARIABLE = /\$\{stageVariables\.([A-Za-z0-9_]+)\}/g;
const IDENTITY_VARIABLE = /^\$stageVariables\.([A-Za-z0-9_]+)$/;
/** A REST parameter mapping's source (`stageVariables.name`), the whole value. */
const REST_PARAMETER_VARIABLE = /^stageVariables\.([A-Za-z0-9_]+)$/;
/** An HTTP-flavour parameter mapping's value: text with `$stageVariables.name` or `${stageVariables.name}`. */
const HTTP_PARAMETER_VARIABLE = /\$\{?stageVariables\.([A-Za-z0-9_]+)/g;

export function referencesOf(definition: unknown): References {
  const refs: References = { bindings: [], secrets: [], stageVariables: [] };
  if (!isObject(definition)) return refs;
  const template = (text: unknown, path: FieldError["path"]) => {
    if (typeof text !== "string") return;
    for (const m of text.matchAll(TEMPLATE_VARIABLE)) refs.stageVariables.push({ name: m[1]!, path });
  };
  const name = (value: unknown) => (typeof value === "string" && value ? value : undefined);
  // Parameter mappings (Amazon's integration model): REST sources are a whole `stageVariables.name`; HTTP-flavour
  // values are text that may hold several. Templates are not read: Amazon renders an undefined $stageVariables.x as
  // nothing, and `#if($stageVariables.debug)` is a legitimate optional flag.
  const parameters = (map: unknown, path: FieldError["path"]) => {
    if (!isObject(map)) return;
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== "string") continue;
      const rest = REST_PARAMETER_VARIABLE.exec(value);
      if (rest) refs.stageVariables.push({ name: rest[1]!, path: [...path, key] });
      else for (const m of value.matchAll(HTTP_PARAMETER_VARIABLE)) refs.stageVariables.push({ name: m[1]!, path: [...path, key] });
    }
  };

  if (isObject(definition.routes))
    for (const [key, route] of Object.entries(definition.routes)) {
      if (!isObject(route) || !isObject(route.integration)) continue;
      const integration = route.integration;
      const at = (...rest: (string | number)[]) => ["routes", key, "integration", ...rest];
      const service = name(integration.service);
      if (service && integration.type !== "mock") refs.bindings.push({ kind: "service", name: service, path: at("service") });
      const connection = name(integration.connectionId);
      if (connection) refs.bindings.push({ kind: "private", name: connection, path: at("connectionId") });
      // The binding field of the Cloudflare-native kinds is named after its kind.
      const field = ({ queue: "queue", r2: "bucket", workflow: "workflow" } as const)[integration.type as "queue" | "r2" | "workflow"];
      const bound = field ? name(integration[field]) : undefined;
      if (field && bound) refs.bindings.push({ kind: field, name: bound, path: at(field) });
      if (integration.type === "http" || integration.type === "http_proxy") {
        template(integration.uri, at("uri"));
        if (isObject(integration.headers)) for (const [header, value] of Object.entries(integration.headers)) template(value, at("headers", header));
      } else if (integration.type === "service") template(integration.path, at("path"));
      else if (integration.type === "aws") {
        template(integration.uri, at("uri"));
        template(integration.endpoint, at("endpoint"));
        if (isObject(integration.credentials))
          for (const part of ["accessKeyId", "secretAccessKey", "sessionToken"]) {
            const secret = name(integration.credentials[part]);
            if (secret) refs.secrets.push({ name: secret, path: at("credentials", part) });
          }
      } else if (integration.type === "r2") {
        template(integration.key, at("key"));
        template(integration.prefix, at("prefix"));
      } else if (integration.type === "workflow") template(integration.instanceId, at("instanceId"));
      parameters(integration.requestParameters, at("requestParameters"));
      if (isObject(integration.responses))
        for (const [pattern, response] of Object.entries(integration.responses))
          if (isObject(response)) parameters(response.responseParameters, at("responses", pattern, "responseParameters"));
      if (isObject(integration.responseParameters))
        for (const [status, params] of Object.entries(integration.responseParameters)) parameters(params, at("responseParameters", status));
    }

  if (isObject(definition.authorizers))
    for (const [authorizer, spec] of Object.entries(definition.authorizers)) {
      if (!isObject(spec)) continue;
      const at = (...rest: (string | number)[]) => ["authorizers", authorizer, ...rest];
      if (spec.type === "custom") {
        const service = name(spec.service);
        if (service) refs.bindings.push({ kind: "service", name: service, path: at("service") });
        const sources = Array.isArray(spec.identitySource) ? spec.identitySource : [spec.identitySource];
        sources.forEach((source, i) => {
          const m = typeof source === "string" ? IDENTITY_VARIABLE.exec(source) : null;
          if (m) refs.stageVariables.push({ name: m[1]!, path: Array.isArray(spec.identitySource) ? at("identitySource", i) : at("identitySource") });
        });
      } else if (spec.type === "jwt") {
        const secret = name(spec.secret);
        if (secret) refs.secrets.push({ name: secret, path: at("secret") });
      } else if (spec.type === "sigv4" && isObject(spec.credentials)) {
        for (const [keyId, secret] of Object.entries(spec.credentials))
          if (name(secret)) refs.secrets.push({ name: secret as string, path: at("credentials", keyId) });
      }
    }

  if (isObject(definition.stages))
    for (const [stage, spec] of Object.entries(definition.stages)) {
      const secret = isObject(spec) && isObject(spec.cache) ? name(spec.cache.encryptionSecret) : undefined;
      if (secret) refs.secrets.push({ name: secret, path: ["stages", stage, "cache", "encryptionSecret"] });
    }
  return refs;
}

/** Each stage's variable names, as the definition defines them. */
export function stageVariablesOf(definition: unknown): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!isObject(definition) || !isObject(definition.stages)) return out;
  for (const [stage, spec] of Object.entries(definition.stages))
    out.set(stage, new Set(isObject(spec) && isObject(spec.variables) ? Object.keys(spec.variables) : []));
  return out;
}
