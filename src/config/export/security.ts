/**
 * Portico authorizers as OpenAPI security schemes with Amazon's `x-amazon-apigateway-authorizer`: JWT → `jwt`
 * (HTTP APIs) or, for a Cognito pool's issuer on a REST API, `cognito_user_pools`; custom → Lambda `token` or
 * `request` (the function named after the service binding); SigV4 → `x-amazon-apigateway-authtype: awsSigv4`;
 * mTLS (Amazon's is a custom domain setting) only in `x-portico`. The API key scheme is Amazon's `api_key`.
 */
import type { AuthorizerDefinition, Flavor } from "../types.ts";
import { lambdaUri } from "./integration.ts";

export const API_KEY_SCHEME = "api_key";
const COGNITO_ISSUER = /^https:\/\/cognito-idp\.([a-z0-9-]+)\.amazonaws\.com\/([A-Za-z0-9_-]+)$/;

/** `$request.header.X` as a REST identity source (`method.request.header.X`); HTTP APIs keep Portico's form. */
function restSource(source: string): string {
  const m = /^\$request\.(header|querystring)\.(.+)$/.exec(source);
  if (m) return `method.request.${m[1]}.${m[2]}`;
  return source.replace(/^\$/, "");
}

const headerOf = (source: string | undefined) => /^\$request\.header\.(.+)$/.exec(source ?? "$request.header.Authorization")?.[1];

export function securityScheme(a: AuthorizerDefinition, flavor: Flavor): Record<string, unknown> {
  switch (a.type) {
    case "jwt": {
      const cognito = COGNITO_ISSUER.exec(a.issuer);
      if (flavor === "rest" && cognito)
        return {
          type: "apiKey",
          name: headerOf(a.identitySource) ?? "Authorization",
          in: "header",
          "x-amazon-apigateway-authtype": "cognito_user_pools",
          "x-amazon-apigateway-authorizer": { type: "cognito_user_pools", providerARNs: [`arn:aws:cognito-idp:${cognito[1]}:123456789012:userpool/${cognito[2]}`] },
        };
      return {
        type: "oauth2",
        flows: {},
        "x-amazon-apigateway-authorizer": {
          type: "jwt",
          jwtConfiguration: { issuer: a.issuer, ...(a.audience !== undefined ? { audience: [a.audience].flat() } : {}) },
          identitySource: a.identitySource ?? "$request.header.Authorization",
        },
      };
    }
    case "custom": {
      const sources = [a.identitySource ?? "$request.header.Authorization"].flat();
      const mode = a.mode ?? "token";
      const authorizer: Record<string, unknown> = { type: mode };
      if (a.service) authorizer.authorizerUri = lambdaUri(a.service);
      if (mode === "request") authorizer.identitySource = sources.map((s) => (flavor === "http" ? s : restSource(s))).join(", ");
      if (a.validationExpression !== undefined) authorizer.identityValidationExpression = a.validationExpression;
      if (a.resultTtlSeconds !== undefined) authorizer.authorizerResultTtlInSeconds = a.resultTtlSeconds;
      if (flavor === "http" && a.responseFormat === "simple") Object.assign(authorizer, { authorizerPayloadFormatVersion: "2.0", enableSimpleResponses: true });
      return {
        type: "apiKey",
        name: mode === "token" ? (headerOf(sources[0]) ?? "Authorization") : "Unused",
        in: "header",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": authorizer,
      };
    }
    case "sigv4":
      return { type: "apiKey", name: "Authorization", in: "header", "x-amazon-apigateway-authtype": "awsSigv4" };
    default:
      // mTLS: Amazon verifies client certificates on the custom domain, not per method.
      return { type: "apiKey", name: "x-portico-mtls", in: "header", description: "Portico mTLS authorizer (see x-portico)" };
  }
}

export const apiKeyScheme = () => ({ type: "apiKey", name: "x-api-key", in: "header" });
