/** The facts a Lambda-style event is built from, read off a request's context (service integration, custom authorizer). */
import type { RequestContext } from "./context.ts";
import type { LambdaRequestFacts } from "../wire/lambda/event.ts";

export function requestFacts(
  ctx: RequestContext,
  part: Pick<LambdaRequestFacts, "headers" | "body" | "isBinaryBody"> & Partial<Pick<LambdaRequestFacts, "authorizer">>,
): LambdaRequestFacts {
  return {
    method: ctx.request.method,
    path: ctx.path,
    requestPath: ctx.url.pathname,
    resource: ctx.route?.spec.path ?? ctx.path,
    routeKey: ctx.route?.spec.key ?? "$default",
    rawQuery: ctx.url.search.slice(1),
    pathParameters: ctx.pathParams,
    stageVariables: ctx.stageVariables,
    stage: ctx.stage,
    requestId: ctx.requestId,
    apiId: ctx.api,
    domainName: ctx.url.hostname,
    sourceIp: ctx.clientIp,
    requestTimeEpochMs: ctx.receivedAt,
    ...part,
  };
}
