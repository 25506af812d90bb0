/**
 * Access-log formats: Amazon's `$context` variables in a line of text, compiled once per bundle into literal and
 * variable parts, rendered once per request. Pure (no request types): the definition compiler checks formats with
 * it, and variables.ts supplies the values.
 *
 * The format's kind comes from its first character, and decides how values are escaped so a line always parses:
 * - `{` JSON: a variable inside a JSON string is escaped as string content (a missing value is `-`, as Amazon logs
 *   it); a variable standing as a JSON value (`"status": $context.status`) is written as a JSON value — a number
 *   stays a number, text is quoted, a missing value is `null`;
 * - `<` XML: `&`, `<`, `>`, quotes escaped; missing `-`;
 * - anything else (CLF, CSV, text): `"` and `\` escaped with a backslash and control characters as `\xHH`, as
 *   nginx does, so a quoted field cannot be broken out of; missing `-`.
 * Every kind renders one line: a value's line breaks are escaped, and a format may not hold one.
 */
import { ACCESS_LOG_VARIABLES, isAccessLogVariable } from "./names.ts";

/** Amazon's console presets (CLF, XML, CSV) and Portico's JSON default, by name. */
export const ACCESS_LOG_PRESETS: Readonly<Record<string, string>> = {
  json:
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","userAgent":"$context.identity.userAgent",' +
    '"requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey",' +
    '"path":"$context.path","status":$context.status,"responseLength":$context.responseLength,' +
    '"responseLatency":$context.responseLatency,"integrationLatency":$context.integrationLatency,' +
    '"integrationStatus":$context.integration.status,"apiKeyId":"$context.identity.apiKeyId",' +
    '"authorizerError":"$context.authorizer.error","errorType":"$context.error.responseType",' +
    '"errorMessage":"$context.error.message","stage":"$context.stage","version":"$context.deploymentId",' +
    '"canary":$context.isCanaryRequest,"cache":"$context.portico.cacheStatus","traceId":"$context.portico.traceId",' +
    '"xrayTraceId":"$context.xrayTraceId"}',
  clf:
    '$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] ' +
    '"$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId',
  xml:
    '<request id="$context.requestId"> <ip>$context.identity.sourceIp</ip> <caller>$context.identity.caller</caller> ' +
    "<user>$context.identity.user</user> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> " +
    "<resourcePath>$context.resourcePath</resourcePath> <status>$context.status</status> <protocol>$context.protocol</protocol> " +
    "<responseLength>$context.responseLength</responseLength> </request>",
  csv:
    "$context.identity.sourceIp,$context.identity.caller,$context.identity.user,$context.requestTime,$context.httpMethod," +
    "$context.resourcePath,$context.protocol,$context.status,$context.responseLength,$context.requestId,$context.extendedRequestId",
};

/** Longest format accepted (a preset name, or the text itself). */
export const MAX_FORMAT_CHARS = 4096;

export type FormatKind = "json" | "xml" | "text";
export type LogValue = string | number | boolean | null | undefined;

/** A format compiled once: literal text between variables; `bare` marks a JSON value position. */
export interface CompiledFormat {
  kind: FormatKind;
  literals: string[];
  variables: { name: string; bare: boolean }[];
}

/** A variable reference: dot-separated names, the last segment ending in a letter, digit or `_` (so `$context.status.` keeps its full stop). */
const VARIABLE = /\$context\.([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_:-]*[A-Za-z0-9_])*)/g;

/** The format text a bundle stores: a preset's, or the given text. */
export function resolveFormat(format: string | undefined): string {
  const f = format ?? "json";
  return Object.hasOwn(ACCESS_LOG_PRESETS, f) ? ACCESS_LOG_PRESETS[f]! : f;
}

export function compileFormat(text: string): CompiledFormat {
  const kind: FormatKind = text.trimStart().startsWith("{") ? "json" : text.trimStart().startsWith("<") ? "xml" : "text";
  const literals: string[] = [];
  const variables: CompiledFormat["variables"] = [];
  let last = 0;
  for (const m of text.matchAll(VARIABLE)) {
    const literal = text.slice(last, m.index);
    literals.push(literal);
    variables.push({ name: m[1]!, bare: kind === "json" && !insideJsonString(literals.join("")) });
    last = m.index + m[0].length;
  }
  literals.push(text.slice(last));
  return { kind, literals, variables };
}

/** Whether the JSON text so far ends inside a string (an odd number of unescaped quotes). */
function insideJsonString(text: string): boolean {
  let inside = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && inside) i++;
    else if (c === '"') inside = !inside;
  }
  return inside;
}

/** What is wrong with a format (empty when it is usable): unknown variables, no request id, a line break, bad JSON. */
export function checkFormat(format: string): string[] {
  const text = resolveFormat(format);
  const problems: string[] = [];
  if (text.length > MAX_FORMAT_CHARS) return [`must be at most ${MAX_FORMAT_CHARS} characters`];
  if (/[\r\n]/.test(text)) problems.push("must be one line (each request is logged as one line)");
  const compiled = compileFormat(text);
  if (!compiled.variables.length) problems.push("names no $context variable");
  for (const { name } of compiled.variables)
    if (!isAccessLogVariable(name)) problems.push(`unknown variable $context.${name}${suggest(name)}`);
  // Amazon's rule: every line must say which request it was.
  if (!compiled.variables.some((v) => v.name === "requestId" || v.name === "extendedRequestId"))
    problems.push("must include $context.requestId or $context.extendedRequestId");
  if (compiled.kind === "json" && !problems.length) {
    // Every variable both missing and present: the line must parse either way.
    for (const sample of [() => undefined, () => 'x"\\\n', () => 1]) {
      try {
        JSON.parse(renderFormat(compiled, sample));
      } catch {
        problems.push("is not valid JSON once its variables are filled in (quote text variables: \"$context.requestId\")");
        break;
      }
    }
  }
  return problems;
}

function suggest(name: string): string {
  const near = ACCESS_LOG_VARIABLES.find((v) => v.toLowerCase() === name.toLowerCase() || v.endsWith(`.${name}`));
  return near ? ` (did you mean $context.${near}?)` : "";
}

/** One log line: each variable's value, escaped for the format's kind. */
export function renderFormat(compiled: CompiledFormat, value: (name: string, i: number) => LogValue): string {
  const { literals, variables, kind } = compiled;
  let out = literals[0]!;
  for (let i = 0; i < variables.length; i++) {
    const v = variables[i]!;
    out += escapeValue(value(v.name, i), kind, v.bare) + literals[i + 1]!;
  }
  return out;
}

function escapeValue(value: LogValue, kind: FormatKind, bare: boolean): string {
  if (bare) {
    if (value === undefined || value === null) return "null";
    if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
    if (typeof value === "boolean") return String(value);
    return JSON.stringify(value);
  }
  if (value === undefined || value === null || value === "") return "-";
  const text = String(value);
  if (kind === "json") return JSON.stringify(text).slice(1, -1);
  if (kind === "xml") return text.replace(/[&<>"'\x00-\x1f\x7f]/g, (c) => XML_ESCAPES[c] ?? `&#${c.charCodeAt(0)};`);
  return text.replace(/["\\\x00-\x1f\x7f]/g, (c) => (c === '"' || c === "\\" ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
