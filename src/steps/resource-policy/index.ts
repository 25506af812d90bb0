/**
 * Resource policy: the API's and the route's policies (compiled once per bundle) decide on the caller's IP,
 * country and ASN before anything else looks at the request. Refusals answer Amazon's 403 for an
 * execute-api:Invoke the policy does not allow.
 */
import { methodArn } from "../../authorizers/types.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { StepFactory } from "../../pipeline/step.ts";
import { evaluatePolicies } from "../../security/resource-policy.ts";

export const resourcePolicy: StepFactory = () =>
  async function resourcePolicy(ctx, next) {
    const policies = ctx.route?.policies;
    if (!policies?.length) return next();
    const cf = ctx.request.cf as { country?: string; asn?: number } | undefined;
    const decision = evaluatePolicies(policies, { ip: ctx.clientIp, country: cf?.country, asn: cf?.asn });
    if (decision !== "allow") {
      const arn = methodArn(ctx);
      throw new GatewayError("ACCESS_DENIED", {
        message: `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${arn}${decision === "deny" ? " with an explicit deny" : ""}`,
        detail: `resource policy: ${decision} for ${ctx.clientIp || "(no client ip)"}`,
      });
    }
    return next();
  };
