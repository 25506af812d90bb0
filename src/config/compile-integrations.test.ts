/**
 * The integration kinds beyond HTTP and the proxy fields beside them, as `portico validate` reports them: every
 * mistake with its field path (ARN forms, subtypes and their parameters, endpoints, R2 keys and methods, Workflow
 * ids, private integrations, streaming's rules), and the bundle built with every default.
 */
import { describe, expect, it } from "vitest";
import { checkDefinition, compileDefinition } from "./compile.ts";
import { definitionWarnings } from "./warnings.ts";
import { formatFieldError } from "./field-errors.ts";

const credentials = { accessKeyId: "AWS_ID", secretAccessKey: "AWS_KEY" };
const def = (routes: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ name: "kinds", stages: { prod: {} }, routes, ...more });
const errors = (value: unknown, localDev = false) => checkDefinition(value, { localDev }).map(formatFieldError);

describe("aws integrations", () => {
  it("REST: a uri in Amazon's ARN form; no subtype", () => {
    expect(
      errors(
        def({
          "POST /a": { integration: { type: "aws", credentials } },
          "POST /b": { integration: { type: "aws", uri: "arn:aws:apigateway:us-east-1:sqs:action/Send Message", credentials } },
          "POST /c": { integration: { type: "aws", uri: "arn:aws:apigateway:useast:sqs:action/SendMessage", credentials } },
          "POST /d": { integration: { type: "aws", uri: "arn:aws:apigateway:us-east-1:sqs:path/1/{queue}", credentials } },
          "POST /e": { integration: { type: "aws", subtype: "SQS-SendMessage", uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", credentials } },
          "POST /f": { integration: { type: "aws", uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage" } },
        }),
      ),
    ).toEqual([
      'routes["POST /a"].integration.uri: required: arn:aws:apigateway:{region}:{service}:action/{Action} or …:path/{path}',
      'routes["POST /b"].integration.uri: "Send Message" is not an action name (SendMessage, PutItem …)',
      'routes["POST /c"].integration.uri: "useast" is not an AWS region (us-east-1, eu-west-3 …)',
      'routes["POST /d"].integration.uri: {queue} is not a path parameter of this route',
      `routes["POST /e"].integration.subtype: subtypes are HTTP APIs'; on REST APIs give uri and map the request with a template`,
      'routes["POST /f"].integration.credentials: required',
    ]);
  });

  it("an endpoint override follows the outbound rules: loopback only for local development, no path parameters", () => {
    const routes = {
      "GET /o/{k}": { integration: { type: "aws", uri: "arn:aws:apigateway:us-east-1:s3:path/b/{k}", credentials, endpoint: "http://127.0.0.1:4566" } },
      "GET /p/{k}": { integration: { type: "aws", uri: "arn:aws:apigateway:us-east-1:s3:path/b/{k}", credentials, endpoint: "http://169.254.169.254" } },
      "GET /q/{k}": { integration: { type: "aws", uri: "arn:aws:apigateway:us-east-1:s3:path/b/{k}", credentials, endpoint: "https://{k}.example.com" } },
    };
    expect(errors(def(routes))).toEqual([
      'routes["GET /o/{k}"].integration.endpoint: 127.0.0.1 is a loopback address (allowed only in local development: PORTICO_LOCAL_DEV)',
      expect.stringMatching(/^routes\["GET \/p\/\{k\}"\]\.integration\.endpoint: 169\.254\.169\.254 is /),
      'routes["GET /q/{k}"].integration.endpoint: cannot use path parameters: it names the service, the uri names the resource',
    ]);
    expect(errors(def(routes), true)).toHaveLength(2);
  });

  it("HTTP APIs: a subtype with Amazon's parameter names, the required ones, and a region", () => {
    expect(
      errors(
        def(
          {
            "POST /a": { integration: { type: "aws", subtype: "SQS-SendMessage", region: "us-east-1", credentials, requestParameters: { QueueUrl: "https://q", MesageBody: "$request.body" } } },
            "POST /b": { integration: { type: "aws", subtype: "Kinesis-PutRecord", credentials, requestParameters: { StreamName: "s", Data: "$request.bodyy", PartitionKey: "k" } } },
            "POST /c": { integration: { type: "aws", subtype: "SQS-DeleteMessage", credentials, requestParameters: { QueueUrl: "q", ReceiptHandle: "h", Region: "mars" }, requestTemplates: { "application/json": "{}" } } },
            "POST /d": { integration: { type: "aws", uri: "arn:aws:apigateway:us-east-1:sqs:action/SendMessage", credentials } },
          },
          { flavor: "http" },
        ),
      ),
    ).toEqual([
      'routes["POST /a"].integration.requestParameters.MesageBody: not a parameter of SQS-SendMessage (did you mean "MessageBody"?)',
      'routes["POST /a"].integration.requestParameters.MessageBody: required by SQS-SendMessage',
      expect.stringMatching(/^routes\["POST \/b"\]\.integration\.requestParameters\.Data: /),
      'routes["POST /b"].integration.region: required: the subtype\'s region (or a Region parameter)',
      "routes[\"POST /c\"].integration.requestTemplates: a subtype maps its parameters only (Amazon's AWS_PROXY passes the service's answer through)",
      'routes["POST /c"].integration.requestParameters.Region: "mars" is not an AWS region',
      "routes[\"POST /d\"].integration.uri: HTTP APIs call AWS services through a subtype (Amazon's AWS_PROXY): give subtype and its requestParameters",
      expect.stringMatching(/^routes\["POST \/d"\]\.integration\.subtype: required on HTTP APIs: one of SQS-SendMessage/),
    ]);
  });

  it("compiles ARNs into the parts the integration uses, secrets by name only", async () => {
    const { bundle } = await compileDefinition(def({ "GET /o/{k+}": { integration: { type: "aws", uri: "arn:aws:apigateway:eu-west-3:photos.s3:path/{k}", httpMethod: "GET", credentials } } }));
    expect(bundle.routes[0]!.integration).toMatchObject({
      type: "aws",
      service: "s3",
      region: "eu-west-3",
      subdomain: "photos",
      form: "path",
      target: "{k}",
      httpMethod: "GET",
      credentials: { accessKeyId: "AWS_ID", secretAccessKey: "AWS_KEY", sessionToken: null },
      endpoint: null,
      timeoutMs: 29000,
    });
  });
});

describe("queue, r2 and workflow integrations", () => {
  it("report what each kind needs, with its field path", () => {
    expect(
      errors(
        def({
          "POST /q": { integration: { type: "queue", queue: "JOBS", batch: true, contentType: "text" } },
          "POST /r/{k}": { integration: { type: "r2", bucket: "FILES", key: "{k}" } },
          "GET /r2": { integration: { type: "r2", bucket: "FILES" } },
          "GET /l": { integration: { type: "r2", bucket: "FILES", action: "list", key: "x" } },
          "GET /s/{k}": { integration: { type: "r2", bucket: "FILES", key: "{key}" } },
          "GET /w": { integration: { type: "workflow", workflow: "FLOW", action: "status" } },
          "GET /w2/{id}": { integration: { type: "workflow", workflow: "FLOW", action: "status", instanceId: "{id}", requestTemplates: { "application/json": "{}" } } },
          "GET /x": { integration: { type: "queue", queue: "jobs" } },
        }),
      ),
    ).toEqual([
      'routes["POST /q"].integration.contentType: a batch is a JSON array: its messages are sent as json',
      'routes["POST /r/{k}"].integration.action: an object answers GET, HEAD, PUT and DELETE, not POST',
      "routes[\"GET /r2\"].integration.key: required: the object's key (e.g. `photos/{key}`)",
      'routes["GET /l"].integration.key: a listing has a prefix, not a key',
      'routes["GET /s/{k}"].integration.key: {key} is not a path parameter of this route (it has {k})',
      "routes[\"GET /w\"].integration.instanceId: required: which instance (e.g. `{id}`)",
      'routes["GET /w2/{id}"].integration.requestTemplates: reading a status sends no request body to map',
      'routes["GET /x"].integration.queue: "jobs" does not match ^[A-Z_][A-Z0-9_]*$',
    ]);
  });
});

describe("private integrations and response streaming", () => {
  it("VPC_LINK names its binding in connectionId; on HTTP APIs the URI gives only the origin", () => {
    const vpc = (uri: string, more: Record<string, unknown> = {}) => ({ integration: { type: "http_proxy", uri, connectionType: "VPC_LINK", connectionId: "ORDERS", ...more } });
    expect(
      errors(
        def(
          {
            "GET /a": vpc("http://orders.internal"),
            "GET /b": vpc("http://orders.internal/v1/{proxy}"),
            "GET /c": { integration: { type: "http_proxy", uri: "http://orders.internal", connectionType: "VPC_LINK" } },
            "GET /d": { integration: { type: "http_proxy", uri: "http://orders.internal", connectionId: "ORDERS" } },
            "GET /e": vpc("http://orders.internal", { service: "ORDERS" }),
          },
          { flavor: "http" },
        ),
      ),
    ).toEqual([
      'routes["GET /b"].integration.uri: {proxy} is not a path parameter of this route',
      'routes["GET /b"].integration.uri: on HTTP APIs a private integration sends the request\'s path with the stage first (Amazon\'s rule): give only the origin here, and map overwrite:path to change the path',
      // Without a binding it would go over the network, where a private name is refused.
      'routes["GET /c"].integration.uri: orders.internal is a private-network address or name (allowed only in local development: PORTICO_LOCAL_DEV)',
      'routes["GET /c"].integration.connectionId: required with connectionType VPC_LINK: the binding that reaches the private backend',
      'routes["GET /d"].integration.connectionId: only applies with connectionType VPC_LINK',
      'routes["GET /e"].integration.service: a VPC_LINK integration names its binding in connectionId; drop service',
    ]);
    // REST: the URI's path is the path sent, as for any HTTP integration.
    expect(errors(def({ "GET /{proxy+}": vpc("http://orders.internal/v1/{proxy}") }))).toEqual([]);
  });

  it("STREAM: proxies on REST APIs only, never cached, timeouts up to 15 minutes only when streaming", () => {
    expect(
      errors(
        def({
          "GET /a": { integration: { type: "http_proxy", uri: "https://b.example", responseTransferMode: "STREAM", timeoutMs: 900000, streamIdleTimeoutMs: 1000 }, cache: { enabled: true } },
          "GET /b": { integration: { type: "service", service: "FN", payloadFormat: "custom", responseTransferMode: "STREAM" } },
          "GET /c": { integration: { type: "http_proxy", uri: "https://b.example", timeoutMs: 300001 } },
          "GET /d": { integration: { type: "http_proxy", uri: "https://b.example", streamIdleTimeoutMs: 1000 } },
          "GET /e": { integration: { type: "http", uri: "https://b.example", responseTransferMode: "STREAM" } },
        }),
      ),
    ).toEqual([
      "routes[\"GET /a\"].cache.enabled: a streaming route is never cached (Amazon's rule for responseTransferMode STREAM)",
      "routes[\"GET /b\"].integration.responseTransferMode: only proxy integrations stream (http_proxy, service raw/1.0/2.0): a Lambda custom integration's response templates need the whole response",
      'routes["GET /c"].integration.timeoutMs: at most 300000 unless the response streams (responseTransferMode STREAM: up to 900000)',
      'routes["GET /d"].integration.streamIdleTimeoutMs: only applies with responseTransferMode STREAM',
      'routes["GET /e"].integration.responseTransferMode: unknown field',
    ]);
    expect(errors(def({ "GET /a": { integration: { type: "http_proxy", uri: "https://b.example", responseTransferMode: "STREAM" } } }, { flavor: "http" }))).toEqual([
      'routes["GET /a"].integration.responseTransferMode: Amazon streams responses on REST APIs only',
    ]);
  });

  it("warns where a stage's cache would have taken a streamed route", () => {
    const streamed = { integration: { type: "http_proxy", uri: "https://b.example", responseTransferMode: "STREAM" } };
    const value = def({ "GET /a": streamed, "GET /b": { ...streamed, cache: { enabled: false } }, "GET /c": { integration: { type: "mock" } } }, { stages: { prod: { cache: { enabled: true } }, dev: {} } });
    expect(errors(value)).toEqual([]);
    expect(definitionWarnings(value).map(formatFieldError)).toEqual([
      'routes["GET /a"].integration.responseTransferMode: a streamed response is never cached (Amazon\'s rule): stage prod caches every other route, not this one',
    ]);
  });
});
