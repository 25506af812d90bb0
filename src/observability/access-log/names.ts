/**
 * The `$context` variables an access-log format may name: Amazon's access-logging variables for REST and HTTP APIs
 * (same names, same meaning where Workers has the fact), plus a few of Portico's own under `portico.`. Pure data, so
 * the definition compiler can check a format without the request-time code (variables.ts holds the resolvers; a test
 * keeps the two lists equal).
 */

/** Variables read directly. Amazon's that Workers cannot know (WAF, Cognito, IAM callers) log as `-`. */
export const ACCESS_LOG_VARIABLES: readonly string[] = [
  "accountId",
  "apiId",
  "authorize.error",
  "authorize.latency",
  "authorize.status",
  "authorizer.error",
  "authorizer.integrationLatency",
  "authorizer.integrationStatus",
  "authorizer.latency",
  "authorizer.principalId",
  "authorizer.requestId",
  "authorizer.status",
  "authenticate.error",
  "authenticate.latency",
  "authenticate.status",
  "awsEndpointRequestId",
  "awsEndpointRequestId2",
  "customDomain.basePathMatched",
  "dataProcessed",
  "deploymentId",
  "domainName",
  "domainPrefix",
  "endpointType",
  "error.message",
  "error.messageString",
  "error.responseType",
  "error.validationErrorString",
  "extendedRequestId",
  "httpMethod",
  "identity.accountId",
  "identity.apiKey",
  "identity.apiKeyId",
  "identity.caller",
  "identity.clientCert.clientCertPem",
  "identity.clientCert.issuerDN",
  "identity.clientCert.serialNumber",
  "identity.clientCert.subjectDN",
  "identity.clientCert.validity.notAfter",
  "identity.clientCert.validity.notBefore",
  "identity.cognitoAuthenticationProvider",
  "identity.cognitoAuthenticationType",
  "identity.cognitoIdentityId",
  "identity.cognitoIdentityPoolId",
  "identity.principalOrgId",
  "identity.sourceIp",
  "identity.user",
  "identity.userAgent",
  "identity.userArn",
  "identity.vpcId",
  "identity.vpceId",
  "integration.error",
  "integration.integrationStatus",
  "integration.latency",
  "integration.requestId",
  "integration.status",
  "integrationErrorMessage",
  "integrationLatency",
  "integrationStatus",
  "isCanaryRequest",
  "path",
  "protocol",
  "requestId",
  "requestTime",
  "requestTimeEpoch",
  "resourceId",
  "resourcePath",
  "responseLatency",
  "responseLength",
  "routeKey",
  "stage",
  "status",
  "waf.error",
  "waf.latency",
  "waf.status",
  "wafResponseCode",
  "webaclArn",
  "xrayTraceId",
  // Portico's own: the W3C trace id, the full version id, the cache's answer, the usage plan, the throttle's verdict.
  "portico.traceId",
  "portico.version",
  "portico.cacheStatus",
  "portico.usagePlan",
  "portico.throttle",
];

/** Families with a name of the caller's choosing: a custom authorizer's context key, a JWT claim. */
export const ACCESS_LOG_FAMILIES: readonly string[] = ["authorizer.claims.", "authorizer."];

const KNOWN = new Set(ACCESS_LOG_VARIABLES);
const FAMILY_MEMBER = /^[A-Za-z0-9_:.-]{1,128}$/;

/** Whether `name` (after `$context.`) is a variable a format may use. */
export function isAccessLogVariable(name: string): boolean {
  if (KNOWN.has(name)) return true;
  return ACCESS_LOG_FAMILIES.some((f) => name.startsWith(f) && FAMILY_MEMBER.test(name.slice(f.length)));
}
