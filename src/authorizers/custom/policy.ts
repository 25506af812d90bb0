/**
 * Amazon's Lambda authorizer replies, parsed and evaluated. Pure: no bindings, no clock.
 *
 * Two reply formats:
 * - policy (REST APIs, and HTTP APIs with payload 1.0): `{ principalId, policyDocument: { Statement }, context?,
 *   usageIdentifierKey? }`, evaluated against the request's method ARN;
 * - simple (HTTP APIs, payload 2.0): `{ isAuthorized, context? }`.
 *
 * Anything outside those shapes is malformed (the caller answers 500, never allows). Statements Portico cannot
 * evaluate exactly (NotAction, NotResource, Condition) are malformed too, rather than half-understood: ignoring
 * the condition on a Deny would allow what the author meant to refuse.
 *
 * ARN matching: resources are IAM patterns where `*` is any run of characters (including `/` and `:`) and `?`
 * is one character, compared with Portico's method ARN `arn:portico:execute-api:edge:portico:<api>/<stage>/
 * <METHOD>/<path>`. A pattern in an AWS partition (`arn:aws:`, `arn:aws-cn:`, `arn:aws-us-gov:`) was written
 * for the same API on AWS, so its partition, region and account fields are read as Portico's (Portico has no
 * regions or accounts to tell apart); its service, API id, stage, method and path are matched as written. So
 * for the API `petstore`, `arn:aws:execute-api:us-east-1:123456789012:petstore/prod/GET/pets` matches GET /pets
 * on stage prod, as does an API id of `*`, while an AWS API id such as `a1b2c3` does not.
 */
import type { ContextValue } from "../../wire/identity.ts";

export interface PolicyStatement {
  effect: "Allow" | "Deny";
  /** Resource patterns, as written. */
  resources: string[];
}

export interface PolicyReply {
  principalId: string;
  /** Only the statements about `execute-api:Invoke`; others are ignored, as Amazon does. */
  statements: PolicyStatement[];
  context: Record<string, ContextValue>;
  usageIdentifierKey: string | null;
}

export interface SimpleReply {
  allowed: boolean;
  context: Record<string, ContextValue>;
}

export type PolicyDecision = "allow" | "deny" | "implicit-deny";

/** Parses a policy-format reply; null when it is malformed (the caller answers 500). */
export function parsePolicyReply(value: unknown): PolicyReply | null {
  if (!isRecord(value) || typeof value.principalId !== "string") return null;
  const document = value.policyDocument;
  if (!isRecord(document)) return null;
  const raw = document.Statement;
  const list = Array.isArray(raw) ? raw : isRecord(raw) ? [raw] : null;
  if (!list) return null;
  const statements: PolicyStatement[] = [];
  for (const item of list) {
    const statement = parseStatement(item);
    if (statement === null) return null;
    if (statement !== "ignored") statements.push(statement);
  }
  const context = parseContext(value.context);
  if (!context) return null;
  const key = value.usageIdentifierKey;
  if (key !== undefined && key !== null && typeof key !== "string") return null;
  return { principalId: value.principalId, statements, context, usageIdentifierKey: key ?? null };
}

/** Parses a simple-format reply (`{ isAuthorized, context? }`); null when it is malformed. */
export function parseSimpleReply(value: unknown): SimpleReply | null {
  if (!isRecord(value) || typeof value.isAuthorized !== "boolean") return null;
  const context = parseContext(value.context);
  return context ? { allowed: value.isAuthorized, context } : null;
}

/**
 * Evaluates statements for one method ARN as IAM does: an explicit Deny wins over any Allow, and without a
 * matching Allow the answer is an implicit deny.
 */
export function evaluatePolicy(statements: readonly PolicyStatement[], arn: string): PolicyDecision {
  let allowed = false;
  for (const statement of statements) {
    if (!statement.resources.some((resource) => resourceMatches(resource, arn))) continue;
    if (statement.effect === "Deny") return "deny";
    allowed = true;
  }
  return allowed ? "allow" : "implicit-deny";
}

/** True when the IAM resource pattern covers the (Portico) method ARN; see the module comment. */
export function resourceMatches(pattern: string, arn: string): boolean {
  return compilePattern(asPorticoPattern(pattern)).test(arn);
}

const INVOKE_ACTIONS = new Set(["*", "execute-api:*", "execute-api:invoke"]);

/** A statement, "ignored" (not about invoking), or null (malformed). */
function parseStatement(item: unknown): PolicyStatement | "ignored" | null {
  if (!isRecord(item)) return null;
  if ("NotAction" in item || "NotResource" in item || "Condition" in item) return null;
  const effect = item.Effect;
  if (effect !== "Allow" && effect !== "Deny") return null;
  const actions = stringList(item.Action);
  const resources = stringList(item.Resource);
  if (!actions || !resources) return null;
  // IAM action names are case-insensitive.
  if (!actions.some((action) => INVOKE_ACTIONS.has(action.toLowerCase()))) return "ignored";
  return { effect, resources };
}

function stringList(value: unknown): string[] | null {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string")) return value as string[];
  return null;
}

/** Amazon rejects a context holding objects or arrays (or null): only strings, numbers and booleans pass. */
/**
 * The most a decision's context may hold, counting the characters of its keys and values. Amazon allows only
 * strings, numbers and booleans there; Portico also bounds their size, because a cached context is copied into
 * every request it serves — into Lambda events and, through `contextToHeaders`, into backend headers (Cloudflare
 * caps a request's headers at 32 KB). Larger is a malformed reply: an authorizer failure (500), never an allow.
 */
export const MAX_CONTEXT_CHARS = 8192;

function parseContext(value: unknown): Record<string, ContextValue> | null {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) return null;
  const out = new Map<string, ContextValue>();
  let size = 0;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string" && typeof v !== "boolean" && !(typeof v === "number" && Number.isFinite(v))) return null;
    size += key.length + (typeof v === "string" ? v.length : String(v).length);
    if (size > MAX_CONTEXT_CHARS) return null;
    out.set(key, v);
  }
  // fromEntries keeps a key such as "__proto__" a plain own property.
  return Object.fromEntries(out);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const AWS_PARTITION = /^arn:aws(?:-cn|-us-gov)?:/;

/** Rewrites an AWS-partition pattern's partition, region and account fields to Portico's. */
function asPorticoPattern(pattern: string): string {
  if (!AWS_PARTITION.test(pattern)) return pattern;
  // arn:partition:service:region:account:resource (the resource part may itself hold colons). A field is only
  // replaced when another follows it: a trailing `*` there spans the rest of the ARN and must stay.
  const fields = pattern.split(":");
  fields[1] = "portico";
  if (fields.length > 4) fields[3] = "edge";
  if (fields.length > 5) fields[4] = "portico";
  return fields.join(":");
}

/** A compiled pattern: literal-or-`?` pieces between stars, each a quantifier-free RegExp. */
interface Glob {
  test(subject: string): boolean;
}

const MAX_COMPILED = 1000;
const compiled = new Map<string, Glob>();

/**
 * Compiles `*` / `?` into pieces rather than one `^…$` RegExp: `.*a.*a.*b` backtracks polynomially (a long
 * adversarial pattern from an authorizer would stall the isolate), while finding each star-separated piece at
 * its leftmost position is linear per piece and exact (a leftmost match never prevents a later one).
 */
function compilePattern(pattern: string): Glob {
  let glob = compiled.get(pattern);
  if (glob) return glob;
  const pieces = pattern.split("*").map(pieceRegExp);
  if (pieces.length === 1) {
    const whole = new RegExp(`^${pieces[0]!.source}$`, "s");
    glob = { test: (subject) => whole.test(subject) };
  } else {
    const first = pieces[0]!;
    const last = pieces[pieces.length - 1]!;
    const middle = pieces.slice(1, -1).filter((p) => p.length > 0);
    glob = {
      test(subject) {
        // `?` matches one UTF-16 unit (no "u" flag), so every piece has a fixed length.
        if (!at(first.regexp, subject, 0)) return false;
        let position = first.length;
        for (const piece of middle) {
          piece.search.lastIndex = position;
          const found = piece.search.exec(subject);
          if (!found) return false;
          position = found.index + piece.length;
        }
        const end = subject.length - last.length;
        return end >= position && at(last.regexp, subject, end);
      },
    };
  }
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(pattern, glob);
  return glob;
}

interface Piece {
  source: string;
  length: number;
  /** Sticky: matches exactly at lastIndex. */
  regexp: RegExp;
  /** Global: the leftmost match from lastIndex on. */
  search: RegExp;
}

function pieceRegExp(text: string): Piece {
  // Everything but `?` is literal: an ARN path may hold `(`, `.`, `+`, `[`… and they mean themselves.
  const source = text.replace(/[\\^$.*+()[\]{}|/-]/g, "\\$&").replaceAll("?", ".");
  return { source, length: text.length, regexp: new RegExp(source, "sy"), search: new RegExp(source, "sg") };
}

function at(regexp: RegExp, subject: string, index: number): boolean {
  regexp.lastIndex = index;
  return regexp.test(subject);
}
