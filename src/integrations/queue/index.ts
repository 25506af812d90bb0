/**
 * `queue`: a Cloudflare Queues producer binding, the SQS analogue. The mapped request (a request template, or the
 * body as it came) is the message — or, with `batch`, a JSON array of messages sent as one batch. Sizes are
 * checked against Queues' limits before anything is sent (413, with the limit in the message). The answer has
 * SQS's shape: `{MessageId, MD5OfMessageBody}` (SendMessage) or `{Successful: [{Id, MessageId, MD5OfMessageBody}],
 * Failed: []}` (SendMessageBatch), the ids made by the gateway (Queues assigns its own ids only on delivery): with
 * `envelope`, the consumer receives `{messageId, requestId, traceparent?, tracestate?, body}` and can match them (the
 * trace fields when the stage traces: a bare message is the body alone, so it carries none). MD5OfMessageBody is SQS's
 * hex MD5 of the message as sent, computed in JavaScript (a WebCrypto digest costs more for a few bytes).
 */
import type { Bundle } from "../../config/bundle.ts";
import type { BundleQueueIntegration } from "../../config/bundle-integrations.ts";
import { traceOf } from "../../observability/request-trace.ts";
import { traceparentOf } from "../../observability/trace.ts";
import type { RequestContext } from "../../pipeline/context.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import { md5 } from "@noble/hashes/legacy.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { bindingFailure, bindingOf, ownAnswer } from "../bindings.ts";
import { mediaType } from "../../wire/media-types.ts";
import type { Integration } from "../types.ts";
import { contentTypeFor, toMessages } from "./messages.ts";

export function queueIntegration(spec: BundleQueueIntegration, _bundle: Bundle): Integration {
  const delay = spec.delaySeconds ? { delaySeconds: spec.delaySeconds } : {};
  return {
    type: "queue",
    async invoke(ctx: RequestContext): Promise<Response> {
      const queue = bindingOf<Queue>(ctx, spec.queue, "sendBatch", "queue producer");
      const mapped = ctx.integrationRequest!;
      const type = contentTypeFor(spec.contentType, mediaType(mapped.contentType));
      const ids: string[] = [];
      const trace = spec.envelope ? traceOf(ctx) : null;
      const traced = trace ? { traceparent: traceparentOf(trace), ...(trace.tracestate ? { tracestate: trace.tracestate } : {}) } : {};
      const outcome = toMessages(mapped.body, type, spec.batch, (body, i) => {
        ids[i] = crypto.randomUUID();
        return spec.envelope ? { messageId: ids[i], requestId: ctx.requestId, ...traced, body } : body;
      });
      if ("refused" in outcome) {
        if (outcome.refused === "too-large") throw new GatewayError("REQUEST_TOO_LARGE", { message: outcome.message, detail: outcome.message });
        throw new GatewayError("BAD_REQUEST_BODY", { message: outcome.message, detail: outcome.message });
      }
      const digests = outcome.ok.map((m) => bytesToHex(md5(m.bytes)));
      const started = performance.now();
      try {
        if (spec.batch) await queue.sendBatch(outcome.ok.map((m) => ({ body: m.body, contentType: m.contentType, ...delay })));
        else await queue.send(outcome.ok[0]!.body, { contentType: outcome.ok[0]!.contentType, ...delay });
      } catch (err) {
        throw bindingFailure(`queue ${spec.queue}`, err);
      } finally {
        ctx.integrationLatencyMs = performance.now() - started;
      }
      const answer = spec.batch
        ? { Successful: ids.map((id, i) => ({ Id: String(i), MessageId: id, MD5OfMessageBody: digests[i] })), Failed: [] }
        : { MD5OfMessageBody: digests[0], MessageId: ids[0] };
      return ownAnswer(ctx, answer);
    },
  };
}
