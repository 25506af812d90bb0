/**
 * `workflow`: a Cloudflare Workflow, the Step Functions analogue. `create` starts an instance with the mapped
 * request as its params (JSON; an empty body is `{}`, as StartExecution's input defaults to "{}") and answers
 * `{id, startDate}` (StartExecution's `{executionArn, startDate}`); an id the definition chooses (`instanceId`) makes
 * the start idempotent: a second start with it answers 409. `status` reads an instance: `{id, status, error?,
 * output?}`, 404 for an id the Workflow does not know.
 */
import type { Bundle } from "../../config/bundle.ts";
import type { BundleWorkflowIntegration } from "../../config/bundle-integrations.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { bindingFailure, bindingOf, ownAnswer } from "../bindings.ts";
import { compileTemplate, renderTemplate } from "../template.ts";
import type { Integration } from "../types.ts";

/** Workflows' instance ids: letters, digits, `-` and `_`, at most 100 characters. */
const INSTANCE_ID = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$/;

export function workflowIntegration(spec: BundleWorkflowIntegration, _bundle: Bundle): Integration {
  const instanceId = spec.instanceId === null ? null : compileTemplate(spec.instanceId);
  return {
    type: "workflow",
    async invoke(ctx: RequestContext): Promise<Response> {
      const workflow = bindingOf<Workflow>(ctx, spec.workflow, "create", "Workflow");
      const id = instanceId ? renderId(renderTemplate(instanceId, ctx.stageVariables, ctx.integrationRequest?.pathParams ?? ctx.pathParams)) : undefined;
      const started = performance.now();
      try {
        return spec.action === "status" ? await status(ctx, workflow, id!) : await create(ctx, workflow, id, spec.workflow);
      } finally {
        ctx.integrationLatencyMs = performance.now() - started;
      }
    },
  };
}

function renderId(id: string): string {
  if (!INSTANCE_ID.test(id)) throw new GatewayError("DEFAULT_4XX", { message: "Invalid instance id", detail: `instance id of ${id.length} characters` });
  return id;
}

async function create(ctx: RequestContext, workflow: Workflow, id: string | undefined, name: string): Promise<Response> {
  const body = ctx.integrationRequest?.body ?? null;
  const text = body === null ? "" : typeof body === "string" ? body : new TextDecoder().decode(body);
  let params: unknown = {};
  if (text.trim() !== "") {
    try {
      params = JSON.parse(text);
    } catch {
      throw new GatewayError("BAD_REQUEST_BODY", { message: "The body must be JSON (the instance's params)" });
    }
  }
  // A chosen id already taken: the start was made before (StartExecution's ExecutionAlreadyExists). Asked first,
  // because not every Workflows implementation refuses the duplicate itself (Miniflare's does not); the create
  // below still catches one that races in between.
  if (id && (await exists(workflow, id))) return ownAnswer(ctx, { message: `Instance ${id} already exists` }, 409);
  let instance: WorkflowInstance;
  try {
    instance = await workflow.create({ ...(id ? { id } : {}), params });
  } catch (err) {
    if (id && /already exists|already_exists|duplicate/i.test((err as Error)?.message ?? "")) return ownAnswer(ctx, { message: `Instance ${id} already exists` }, 409);
    throw bindingFailure(`Workflow ${name}`, err);
  }
  return ownAnswer(ctx, { id: instance.id, startDate: new Date().toISOString() });
}

async function status(ctx: RequestContext, workflow: Workflow, id: string): Promise<Response> {
  let instance: WorkflowInstance;
  try {
    instance = await workflow.get(id);
  } catch {
    // Workflows throws for an id it does not know (there is nothing else get() can fail on but the service itself).
    return ownAnswer(ctx, { message: "Not Found" }, 404);
  }
  const s = await instance.status();
  return ownAnswer(ctx, { id, status: s.status, ...(s.error ? { error: s.error } : {}), ...(s.output !== undefined ? { output: s.output } : {}) });
}

async function exists(workflow: Workflow, id: string): Promise<boolean> {
  try {
    await workflow.get(id);
    return true;
  } catch {
    return false;
  }
}
