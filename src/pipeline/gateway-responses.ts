/**
 * Gateway responses: what the gateway answers when it ends a request itself. Defaults are Amazon's status codes,
 * bodies and `x-amzn-ErrorType` values (the recorded cases in test/worker/conformance/), so clients written for AWS keep working;
 * every type can be overridden per API (status, headers, body template).
 *
 * One error type (`GatewayError`) carries the wire-safe facts; `detail` is for logs only and never rendered.
 */
import type { BundleGatewayResponse } from "../config/bundle.ts";
import type { Flavor, GatewayResponseType } from "../config/types.ts";

interface ResponseDefault {
  status: number;
  message: string | null;
  errorType: string;
  /** Errors raised by an integration carry a space after the colon on the wire, as Amazon's do. */
  spaced?: boolean;
}

const REST_DEFAULTS: Record<GatewayResponseType, ResponseDefault> = {
  ACCESS_DENIED: { status: 403, message: "User is not authorized to access this resource with an explicit deny", errorType: "AccessDeniedException" },
  API_CONFIGURATION_ERROR: { status: 500, message: "Internal server error", errorType: "InternalServerErrorException", spaced: true },
  // An authorizer that fails, times out or answers garbage: 500 with a JSON null message (recorded:
  // rest-authorizer-error-500-null-message).
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, message: null, errorType: "AuthorizerConfigurationException", spaced: true },
  AUTHORIZER_FAILURE: { status: 500, message: null, errorType: "AuthorizerConfigurationException", spaced: true },
  BAD_REQUEST_BODY: { status: 400, message: "Invalid request body", errorType: "BadRequestException" },
  BAD_REQUEST_PARAMETERS: { status: 400, message: "Missing required request parameters", errorType: "BadRequestException" },
  DEFAULT_4XX: { status: 400, message: "Bad Request", errorType: "BadRequestException" },
  DEFAULT_5XX: { status: 500, message: "Internal server error", errorType: "InternalServerErrorException", spaced: true },
  EXPIRED_TOKEN: { status: 403, message: "The security token included in the request is expired", errorType: "ExpiredTokenException" },
  INTEGRATION_FAILURE: { status: 504, message: "Network error communicating with endpoint", errorType: "InternalServerErrorException", spaced: true },
  INTEGRATION_TIMEOUT: { status: 504, message: "Endpoint request timed out", errorType: "InternalServerErrorException", spaced: true },
  INVALID_API_KEY: { status: 403, message: "Forbidden", errorType: "ForbiddenException" },
  INVALID_PATH: { status: 400, message: "Invalid request path", errorType: "BadRequestException" },
  INVALID_SIGNATURE: {
    status: 403,
    message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    errorType: "InvalidSignatureException",
  },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: "Missing Authentication Token", errorType: "MissingAuthenticationTokenException" },
  QUOTA_EXCEEDED: { status: 429, message: "Limit Exceeded", errorType: "LimitExceededException" },
  REQUEST_TOO_LARGE: { status: 413, message: "Request Too Long", errorType: "RequestTooLargeException" },
  RESOURCE_NOT_FOUND: { status: 404, message: "Not Found", errorType: "NotFoundException" },
  STAGE_NOT_FOUND: { status: 403, message: "Forbidden", errorType: "ForbiddenException" },
  THROTTLED: { status: 429, message: "Too Many Requests", errorType: "TooManyRequestsException" },
  UNAUTHORIZED: { status: 401, message: "Unauthorized", errorType: "UnauthorizedException" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Unsupported Media Type", errorType: "UnsupportedMediaTypeException" },
};

/**
 * HTTP APIs spell server errors "Internal Server Error" without a space. (Their unknown route is its own type,
 * RESOURCE_NOT_FOUND: 404 Not Found — match-route raises it for the http flavour.)
 */
const HTTP_OVERRIDES: Partial<Record<GatewayResponseType, Partial<ResponseDefault>>> = {
  API_CONFIGURATION_ERROR: { message: "Internal Server Error", spaced: false },
  DEFAULT_5XX: { message: "Internal Server Error", spaced: false },
};

export function responseDefault(type: GatewayResponseType, flavor: Flavor): ResponseDefault {
  const base = REST_DEFAULTS[type];
  return flavor === "http" && HTTP_OVERRIDES[type] ? { ...base, ...HTTP_OVERRIDES[type] } : base;
}

export interface GatewayErrorOptions {
  status?: number;
  /** null renders as JSON null, as Amazon's authorizer configuration errors do (`{"message": null}`). */
  message?: string | null;
  /** Amazon spells the key `Message` in one response (an authorizer's implicit deny). */
  messageKey?: "message" | "Message";
  headers?: Record<string, string>;
  /** Amazon's $context.error.validationErrorString. */
  validationError?: string;
  /** For logs only; never sent to the client. */
  detail?: string;
}

/** Ends a request with a gateway response. Stages throw it; the respond step renders it. */
export class GatewayError extends Error {
  readonly type: GatewayResponseType;
  readonly options: GatewayErrorOptions;
  constructor(type: GatewayResponseType, options: GatewayErrorOptions = {}) {
    super(options.detail ?? type);
    this.name = "GatewayError";
    this.type = type;
    this.options = options;
  }
}

export interface RenderFacts {
  flavor: Flavor;
  overrides: Partial<Record<GatewayResponseType, BundleGatewayResponse>>;
  errorTypeHeader: string | null;
  requestId: string;
  stage: string;
  resourcePath: string;
  stageVariables: Record<string, string>;
}

/** Renders a gateway error as Amazon would, applying the API's override for its type (or DEFAULT_4XX/5XX). */
export function renderGatewayResponse(error: GatewayError, facts: RenderFacts): Response {
  const base = responseDefault(error.type, facts.flavor);
  const status = error.options.status ?? base.status;
  const message = error.options.message === undefined ? base.message : error.options.message;
  const key = error.options.messageKey ?? "message";
  const own = facts.overrides[error.type];
  const override = own ?? facts.overrides[status >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX"];

  const headers = new Headers({ "content-type": "application/json" });
  if (facts.errorTypeHeader) headers.set(facts.errorTypeHeader, base.errorType);
  for (const [name, value] of Object.entries(error.options.headers ?? {})) headers.set(name, value);
  for (const [name, value] of Object.entries(override?.headers ?? {})) headers.set(name, substitute(value, error, message, facts, false));

  const body = override?.body != null
    ? substitute(override.body, error, message, facts, true)
    : base.spaced
      ? `{"${key}": ${JSON.stringify(message)}}`
      : `{"${key}":${JSON.stringify(message)}}`;
  // A DEFAULT_4XX/5XX override's status applies too, to every type without its own override (recorded:
  // rest-gateway-responses-effective-config, DEFAULT_5XX 599 → INTEGRATION_TIMEOUT 599).
  return new Response(body, { status: override?.status ?? status, headers });
}

const REFERENCE = /\$(context\.[A-Za-z.]*[A-Za-z]|stageVariables\.[A-Za-z0-9_]+)/g;

function substitute(template: string, error: GatewayError, message: string | null, facts: RenderFacts, inBody: boolean): string {
  const values: Record<string, string> = {
    "context.error.message": message ?? "",
    "context.error.messageString": JSON.stringify(message),
    "context.error.responseType": error.type,
    "context.error.validationErrorString": error.options.validationError ?? "",
    "context.requestId": facts.requestId,
    "context.stage": facts.stage,
    "context.resourcePath": facts.resourcePath,
  };
  return template.replace(REFERENCE, (_all, name: string) => {
    const value = name.startsWith("stageVariables.") ? facts.stageVariables[name.slice(15)] : values[name];
    // A header holds visible ASCII only, whatever a variable holds (a validation message can quote the client).
    return value === undefined ? "" : inBody ? value : value.replace(/[^\x20-\x7e]/g, "?");
  });
}
