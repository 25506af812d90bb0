/**
 * The per-case setup table of the conformance replay: for every recorded case, the Portico definition that
 * translates the case's plain-words `config`, the backend standing in for the recorded one (the local Node backend
 * of test/support/backend-server.ts, or the test-only Lambda-style Workers of test/support/), how the recording's
 * abstract request parts are filled (`{stage}`, `<key value>`), and how the answer is observed — or why the case
 * cannot be replayed (SKIPPED), or which file replays it (the WebSocket cases: websocket.test.ts). Expected values are never written here: they are read from the recording.
 *
 * Backends: `backend/lambda-url` stands in for a Lambda function URL echo, `backend/httpbin` for httpbin,
 * `backend/verbatim` for a function that returns its input, LAMBDA_ECHO / LAMBDA_CHOOSE / LAMBDA_IDENTITY /
 * LAMBDA_SELECT / LAMBDA_OVERRIDE for the recorded Lambda functions, AUTHORIZER_DOCS for the docs' sample Lambda
 * authorizer. The recorded S3 and SQS integrations are not stood in for: they are `type: aws` integrations, signed,
 * against the local AWS-compatible server (test/support/aws-server.ts, `${stageVariables.aws}`), which verifies
 * every signature and answers as S3 and SQS do.
 */
import type { ApiDefinition, RouteDefinition } from "../../../src/config/types.ts";
import type { IntegrationDefinition } from "../../../src/config/integration-types.ts";
import recorded from "./aws-recorded.json";
import type { RecordedCase } from "./recorded.ts";

export const CASES = recorded as unknown as RecordedCase[];
const byId = (id: string) => CASES.find((c) => c.id === id)!;

/** How a case's answer is read into the recorded shape. */
export type Observation =
  /** The response as the client got it. */
  | "response"
  /** `{body, headers, response-headers}`: what an httpbin-style echo received, and the client's headers. */
  | "echo-http"
  /** The same for a Lambda custom integration whose function returns {statusCode, body: JSON of the event}. */
  | "echo-lambda-custom"
  /** The same for a Lambda proxy integration whose function returns {statusCode, body: JSON of the event}. */
  | "echo-lambda-proxy"
  /** The Lambda-URL echo without its `headers` (the recorded test removed them). */
  | "echo-without-headers"
  /** The MessageBody the case's SQS queue received (`rendered_template_observed_via_sqs`), read from the AWS server. */
  | "sqs-message"
  /** Which route answered (every route's mock names itself). */
  | "route";

export interface Setup {
  /** The definition, without its name (each case gets a unique one). */
  definition: Omit<ApiDefinition, "name">;
  /** HTTP APIs on Amazon's $default stage have no stage segment: a custom domain maps this host to the stage. */
  host?: string;
  /** Values for the recording's abstract request parts. */
  values?: Record<string, string>;
  /** A request the recording describes in other words (a template applied to a payload). */
  request?: { method?: string; path?: string; body?: string };
  observe?: Observation;
  /**
   * Work before the request (keys, objects stored in S3, the SQS queue); returns more values for the request's
   * abstract parts. `queue`: stage variables `queue` and `queueUrl` name the case's own queue, created here.
   */
  prepare?: "api-key" | "api-key-disabled" | "objects" | "canary" | "queue";
  /** Requests sent before the recorded one (the recorded one is the next). */
  before?: number;
}

/** `replayedBy`: the case is replayed by another file of this directory (WebSocket cases need a WebSocket client). */
export type Entry = Setup | { skip: string } | { replayedBy: string };

/** Where Portico deliberately differs: the problems the comparison must find (and no others), and why. */
export const DEVIATIONS: Record<string, { reason: string; problems: RegExp[] }> = {
  "rest-lambda-proxy-event-with-double-slash": {
    reason:
      "Portico normalises every path once before routing (DESIGN.md, security rules): doubled slashes collapse, so the " +
      "path matched is the path forwarded; Amazon keeps a doubled slash inside a greedy parameter",
    problems: [/^path: "\/proxy-value\/double-slash", recorded "\/proxy-value\/\/double-slash"$/, /^pathParameters\.proxy: "proxy-value\/double-slash", recorded "proxy-value\/\/double-slash"$/],
  },
  "rest-vtl-input-json-path-size-docs-example": {
    reason:
      "the documentation's sample output cannot come from the $util.escapeJavaScript the same page documents: it escapes " +
      "the quotes of $input.json('$.things') (Commons Lang semantics, as Amazon runs it), so the rendered text is not JSON",
    problems: [/^body is not JSON: [\s\S]*\\"1\\":\{\}/],
  },
  // workerd's fetch never sends Trailer or Upgrade request headers (framing belongs to the runtime), so mapped
  // values for them do not arrive; nor a Content-Length on a bodiless GET; and it does not show a backend's
  // Connection header, so there is none to return as x-amzn-Remapped-Connection.
  "rest-headers-http-full-mapping-and-remapped-response": {
    reason: "workerd's fetch does not send Trailer or Upgrade request headers",
    problems: [/^body\.headers\.trailer: undefined, recorded "user-agent"$/, /^body\.headers\.upgrade: undefined, recorded "HTTP\/2\.0"$/],
  },
  "rest-headers-http-proxy-full-mapping-and-remapped-response": {
    reason: "workerd's fetch does not send Trailer, Upgrade, or a Content-Length on a bodiless GET, and hides a backend's Connection header",
    problems: [
      /^body\.headers\.content-length: missing$/,
      /^body\.headers\.trailer: undefined, recorded "user-agent"$/,
      /^body\.headers\.upgrade: undefined, recorded "HTTP\/2\.0"$/,
      /^body\.response-headers\.x-amzn-remapped-connection: undefined, recorded "keep-alive"$/,
    ],
  },
  "rest-headers-http-proxy-no-mapping": {
    reason: "workerd's fetch sends no Content-Length on a bodiless GET and hides a backend's Connection header",
    problems: [/^body\.headers\.content-length: missing$/, /^body\.response-headers\.x-amzn-remapped-connection: undefined, recorded "keep-alive"$/],
  },
  "rest-http-proxy-backend-request-and-response-headers": {
    reason: "workerd's fetch hides a backend's Connection header, so there is none to return as x-amzn-Remapped-Connection",
    problems: [/^header x-amzn-remapped-connection: undefined, recorded "keep-alive"$/],
  },
};

// ---- building blocks --------------------------------------------------------------------------------------------

const REST = (stage: string, routes: Record<string, RouteDefinition>, more: Partial<ApiDefinition> = {}): Omit<ApiDefinition, "name"> => ({
  flavor: "rest",
  stages: { [stage]: {} },
  routes,
  ...more,
});

const backend = (path: string) => `\${stageVariables.backend}/${path}`;
const lambda = (service: string, payloadFormat: "1.0" | "2.0" | "custom", more: Partial<IntegrationDefinition> = {}): IntegrationDefinition =>
  ({ type: "service", service, payloadFormat, ...more }) as IntegrationDefinition;

/** Amazon's usual MOCK: `{"statusCode": 200}` in, the default response with `template` out. */
const mock = (template?: string, more: Record<string, unknown> = {}): IntegrationDefinition => ({
  type: "mock",
  requestTemplates: { "application/json": '{"statusCode": 200}' },
  responses: { default: { statusCode: 200, ...(template !== undefined ? { responseTemplates: { "application/json": template } } : {}) } },
  ...more,
});

/** A mock naming its route, for route-selection cases. */
const named = (key: string): RouteDefinition => ({ integration: { type: "mock", body: { route: key } } });

/** An HTTP integration whose backend echoes, so the client sees what the request template rendered. */
const renderTo = (template: string, contentType = "application/json"): IntegrationDefinition => ({
  type: "http",
  method: "POST",
  uri: backend("verbatim/rendered"),
  requestTemplates: { [contentType]: template },
});

// ---- recorded setups, shared by several cases -------------------------------------------------------------------

const chooseRest: Setup = { definition: REST("test", { "ANY /{proxy+}": { integration: lambda("LAMBDA_CHOOSE", "1.0") } }) };
const echoRest: Setup = {
  definition: REST("stage", { "ANY /{proxy+}": { integration: lambda("LAMBDA_ECHO", "1.0") }, "ANY /hardcoded": { integration: lambda("LAMBDA_ECHO", "1.0") } }),
};

/** rest-vtl-input-body-*: POST routes with templates over a function that returns its input. */
const RAW_BODY = "#set($result = $input.body)$result";
const BODY_IN_STR = "Action=SendMessage&MessageBody=$input.body";
const ATTR_ACCESS = "#set($result = $input.body.testAccess)$result";
const URL_ENCODE = "EncodedBody=$util.urlEncode($input.body)&EncodedBodyAccess=$util.urlEncode($input.body.testAccess)";
const bodyRoute = (req: string, res: string): RouteDefinition => ({
  integration: {
    type: "http",
    method: "POST",
    uri: backend("verbatim/body"),
    requestTemplates: { "application/json": req },
    responses: { default: { statusCode: 200, responseTemplates: { "application/json": res } } },
  },
});
const inputBody: Setup = {
  definition: REST("dev", {
    "POST /raw-body": bodyRoute(RAW_BODY, RAW_BODY),
    "POST /str-body-input": bodyRoute(BODY_IN_STR, RAW_BODY),
    "POST /str-body-output": bodyRoute(RAW_BODY, BODY_IN_STR),
    "POST /str-body-all": bodyRoute(BODY_IN_STR, BODY_IN_STR),
    "POST /body-attr-access": bodyRoute(ATTR_ACCESS, RAW_BODY),
    "POST /url-encode": bodyRoute(URL_ENCODE, RAW_BODY),
  }),
};

/** rest-vtl-input-path-*: httpbin echo, response templates reading `$.json`. */
const INVALID = (path: string) =>
  `#set($result = $input.path("${path}")){"body": $result, "nested": $result.nested, "isNull": #if( $result == $null )"true"#else"false"#end, "isEmptyString": #if( $result == "" )"true"#else"false"#end}`;
const pathRoute = (template: string): RouteDefinition => ({
  integration: { type: "http", method: "POST", uri: backend("httpbin/post"), responses: { default: { statusCode: 200, responseTemplates: { "application/json": template } } } },
});
const inputPath: Setup = {
  definition: REST("dev", {
    "POST /path": pathRoute('#set($result = $input.path("$.json"))$result'),
    "POST /nested": pathRoute('#set($result = $input.path("$.json"))$result.nested'),
    "POST /list": pathRoute('#set($result = $input.path("$.json"))$result[0]'),
    "POST /to-string": pathRoute('#set($result = $input.path("$.json"))$result.toString()'),
    "POST /invalid-path": pathRoute(INVALID("$.nonExisting")),
    "POST /nested-list": pathRoute(INVALID("$.json.listValue")),
  }),
};

/** The 27 standard headers of the recorded `headers` cases (the request's, and Host and Content-Length). */
const STANDARD_HEADERS = [...Object.keys(byId("rest-headers-http-full-mapping-and-remapped-response").request.headers ?? {}), "Host", "Content-Length"];
/**
 * The /full resource's constants: those the recording shows arriving at the backend (read from the recording, not
 * retyped), the client's Host, and any value for the headers that never arrive.
 */
function fullMapping(excluded: string[]): Record<string, string> {
  const arrived = (byId("rest-headers-http-proxy-full-mapping-and-remapped-response").expected.body as { headers: Record<string, string> }).headers;
  const lower = new Map(Object.entries(arrived).map(([k, v]) => [k.toLowerCase(), v]));
  const out: Record<string, string> = {};
  for (const name of STANDARD_HEADERS) {
    if (excluded.includes(name.toLowerCase())) continue;
    const target = `integration.request.header.${name}`;
    if (name === "Host") out[target] = "method.request.header.Host";
    else {
      const value = lower.get(name.toLowerCase());
      // A placeholder arrived (a date, a trace id): map the client's value, the one the template shows too.
      out[target] = value === undefined ? `'mapped-${name}'` : value.startsWith("<") ? `method.request.header.${name}` : `'${value}'`;
    }
  }
  return out;
}
const FULL_TEMPLATE = "{" + STANDARD_HEADERS.map((h) => `"${h}": "$input.params('${h}')"`).join(", ") + "}";
const FULL_RESPONSE_PARAMETERS = Object.fromEntries(STANDARD_HEADERS.map((h) => [`method.response.header.${h}`, `'response_param_${h}'`]));
const single = (header: string, value: string) => ({ [`integration.request.header.${header}`]: `'${value}'` });
const headerRoute = (integration: IntegrationDefinition): Setup => ({ definition: REST("test", { "GET /{resource}": { integration } }) });

/** The credentials the AWS integrations sign with (Worker secrets the test Worker has; the AWS server knows them). */
const AWS_CREDENTIALS = { accessKeyId: "AWS_TEST_ACCESS_KEY_ID", secretAccessKey: "AWS_TEST_SECRET_ACCESS_KEY" };
/** The bucket the S3 cases' objects are stored in (prepare: "objects"). */
export const CONFORMANCE_BUCKET = "conformance";

/**
 * The recorded S3 integration: GET object by the greedy path (mapped), the client's `response-content-type` header
 * mapped to S3's query parameter of that name (S3 then answers with that Content-Type).
 */
const objects = (binaryMediaTypes: string[]): Setup => ({
  definition: REST(
    "test",
    {
      "ANY /{object_path+}": {
        integration: {
          type: "aws",
          uri: `arn:aws:apigateway:us-east-1:s3:path/${CONFORMANCE_BUCKET}/{object_path}`,
          httpMethod: "GET",
          credentials: AWS_CREDENTIALS,
          endpoint: "${stageVariables.aws}",
          requestParameters: {
            "integration.request.path.object_path": "method.request.path.object_path",
            "integration.request.querystring.response-content-type": "method.request.header.response-content-type",
          },
          // The recorded responses carry S3's ETag: the recorded API maps it.
          responses: { default: { statusCode: 200, responseParameters: { "method.response.header.ETag": "integration.response.header.ETag" } } },
        },
      },
    },
    { settings: { binaryMediaTypes } },
  ),
  values: { "<stage>": "test" },
  prepare: "objects",
});

/** The 1x1 PNG reply of the binary Lambda proxy cases: the function returns what the recording shows it returned. */
const pngReply = (contentType: string) =>
  JSON.stringify({ statusCode: 200, body: byId("rest-binary-lambda-proxy-right-wildcard-test").expected.body, isBase64Encoded: true, headers: { "Content-Type": contentType, "Cache-Control": "no-cache" } });
const binaryLambda = (stage: string, binaryMediaTypes: string[], contentType: string): Setup => ({
  definition: {
    flavor: "rest",
    settings: { binaryMediaTypes },
    stages: { [stage]: { variables: { lambdaResult: pngReply(contentType) } } },
    routes: { "ANY /{proxy+}": { integration: lambda("LAMBDA_CHOOSE", "1.0") } },
  },
  values: { "<stage>": stage },
});

const keyed: Setup = {
  definition: REST(
    "dev",
    { "GET /test": { apiKeyRequired: true, integration: mock() } },
    { usagePlans: { plan: { stages: ["dev"], quota: { limit: 10, period: "DAY" }, throttle: { rate: 2, burst: 1 } } } },
  ),
  prepare: "api-key",
};

const docsAuthorizer = { type: "custom", mode: "token", service: "AUTHORIZER_DOCS", identitySource: "$request.header.Authorization", resultTtlSeconds: 0 } as const;
const httpHost = "api.example.com";

/** The docs' template passing every parameter, stage variable and context value (rest-cors-static-…). */
const PARAMS_TEMPLATE = `#set($allParams = $input.params())
{
"body-json" : $input.json('$'),
"params" : {
#foreach($type in $allParams.keySet())
#set($params = $allParams.get($type))
"$type" : {
#foreach($paramName in $params.keySet())
"$paramName" : "$util.escapeJavaScript($params.get($paramName))"#if($foreach.hasNext),#end
#end
}#if($foreach.hasNext),#end
#end
},
"stage-variables" : {
#foreach($key in $stageVariables.keySet())
"$key" : "$util.escapeJavaScript($stageVariables.get($key))"#if($foreach.hasNext),#end
#end
},
"context" : {
"http-method" : "$context.httpMethod",
"request-id" : "$context.requestId",
"resource-path" : "$context.resourcePath",
"source-ip" : "$context.identity.sourceIp",
"stage" : "$context.stage"
}
}`;

/** The SQS case's template, as its config describes it: each $context object's keys and values. */
const loop = (of: string) => `#foreach( $key in ${of}.keySet() )"$key": "${of}.get($key)"#if($foreach.hasNext),#end#end`;
const KEYSET_TEMPLATE = `{"context": {${loop("$context")}}, "identity": {${loop("$context.identity")}}, "requestOverride": {${loop("$context.requestOverride")}}, "responseOverride": {${loop("$context.responseOverride")}}, "authorizer_keys": {${loop("$context.authorizer")}}}`;

const SELECT_RESPONSES = { default: { statusCode: 200 }, ".*four hundred.*": { statusCode: 405 }, ".+": { statusCode: 502 }, "200": { statusCode: 504 } };
const OVERRIDE_TEMPLATE = `#set($inputRoot = $input.path('$'))
$input.json("$")
#if($inputRoot.toString().contains("customerror"))
    #set($context.responseOverride.status = 400)
#else
    #set($context.responseOverride.status = 202)
#end`;
/** tests/aws/files/request-template.vm as its config describes it: context, parameter maps and the body. */
const REQUEST_TEMPLATE_VM = `#set($allParams = $input.params())
{"apiContext": {"stage": "$context.stage", "requestId": "$context.requestId"},
"pathParameters": {#foreach($k in $allParams.path.keySet())"$k": "$allParams.path.get($k)"#if($foreach.hasNext),#end#end},
"queryStringParameters": {#foreach($k in $allParams.querystring.keySet())"$k": "$allParams.querystring.get($k)"#if($foreach.hasNext),#end#end},
"headers": {#foreach($k in $allParams.header.keySet())"$k": "$util.escapeJavaScript($allParams.header.get($k))"#if($foreach.hasNext),#end#end},
"body": $input.json('$')}`;

const routingMocks = (routes: Record<string, string>) =>
  REST("dev", Object.fromEntries(Object.entries(routes).map(([key, message]) => [key, { integration: mock(JSON.stringify({ statusCode: 200, message }).replace('{"statusCode":200,"message":', '{"statusCode": 200, "message": ')) }])));

const validation = (validate: boolean): Setup => ({
  definition: REST("local", {
    "ANY /nested/{test}": {
      ...(validate ? { validate: { body: "testSchema", path: ["test"], query: ["qs1"], headers: ["x-header-param"] } } : {}),
      integration: lambda("LAMBDA_ECHO", "1.0"),
    },
  }, { models: { testSchema: JSON.parse(/testSchema = (\{.*?"required": \["a", "b"\]\})/.exec(byId("rest-validation-empty-body-get-invalid").config)![1]!) } }),
});
const refModels = () => {
  const config = byId("rest-validation-oneof-failed-validation-bad-data").config;
  return {
    TestModel: JSON.parse(/TestModel = (\{.*?\})(?:; StatusModel)/.exec(config)![1]!),
    StatusModel: JSON.parse(/StatusModel = (\{.*?"required": \["Status", "Order"\]\})/.exec(config)![1]!),
  };
};
const okMock: IntegrationDefinition = { type: "mock", body: { data: "ok" } };

// ---- the table --------------------------------------------------------------------------------------------------

const WEBSOCKET = { replayedBy: "websocket.test.ts" };

export const SETUPS: Record<string, Entry> = {
  // authorizers
  "http-jwt-missing-token-401": {
    definition: { flavor: "http", stages: { prod: {} }, authorizers: { jwt: { type: "jwt", issuer: "https://issuer.example", audience: ["api"], secret: "JWT_SECRET" } }, routes: { "GET /route": { authorizer: "jwt", integration: { type: "mock" } } } },
    host: httpHost,
  },
  "http-lambda-authorizer-missing-identity-401": {
    definition: { flavor: "http", stages: { prod: {} }, authorizers: { lambda: { type: "custom", mode: "request", service: "AUTHORIZER", identitySource: "$request.header.Authorization", responseFormat: "simple" } }, routes: { "GET /route": { authorizer: "lambda", integration: { type: "mock" } } } },
    host: httpHost,
  },
  "rest-authorizer-context-values-stringified": {
    definition: REST("prod", { "GET /x": { authorizer: "docs", integration: renderTo('{"k": "$context.authorizer.key", "n": "$context.authorizer.numKey", "b": "$context.authorizer.boolKey"}') } }, { authorizers: { docs: docsAuthorizer } }),
    values: { "{stage}": "prod" },
  },
  "rest-authorizer-error-500-null-message": { definition: REST("prod", { "GET /users": { authorizer: "docs", integration: mock() } }, { authorizers: { docs: docsAuthorizer } }), values: { "{stage}": "prod" } },
  "rest-authorizer-implicit-deny-403": {
    // The authorizer the case describes: one whose Allow names another resource (identity from the request itself).
    definition: REST("prod", { "GET /other": { authorizer: "elsewhere", integration: mock() } }, { authorizers: { elsewhere: { type: "custom", mode: "request", service: "AUTHORIZER_DOCS", identitySource: "$context.requestId", resultTtlSeconds: 0 } } }),
    values: { "{stage}": "prod" },
  },
  "rest-authorizer-token-missing-401": { definition: REST("prod", { "GET /users": { authorizer: "docs", integration: mock() } }, { authorizers: { docs: docsAuthorizer } }), values: { "{stage}": "prod" } },

  // API keys, usage plans, throttling
  "rest-apikey-disabled-403": { ...keyed, prepare: "api-key-disabled" },
  "rest-apikey-missing-403": keyed,
  "rest-apikey-valid-200": keyed,
  "rest-usage-plan-quota-429": { ...keyed, before: 10 },

  // binary
  "rest-binary-conversion-encoded-payload-text-accept-binary": objects(["image/png"]),
  "rest-binary-conversion-invalid-base64-500": objects(["image/png"]),
  "rest-binary-conversion-raw-no-media": objects([]),
  "rest-binary-conversion-raw-payload-binary-accept-binary": objects(["image/png"]),
  "rest-binary-conversion-raw-payload-binary-accept-text": objects(["image/png"]),
  "rest-binary-conversion-text-payload-binary-accept-text": objects(["image/png"]),
  "rest-binary-conversion-text-payload-text-accept-text": objects(["image/png"]),
  "rest-binary-lambda-proxy-left-wildcard-config-literal": binaryLambda("test", ["image/png", "*/test"], "image/png"),
  "rest-binary-lambda-proxy-multi-accept-first-binary": binaryLambda("test", ["image/png", "*/test"], "image/png"),
  "rest-binary-lambda-proxy-multi-accept-first-not-binary": binaryLambda("test", ["image/png", "*/test"], "image/png"),
  "rest-binary-lambda-proxy-right-wildcard-star": binaryLambda("test3", ["image/png", "application/*", "image/jpg"], "application/test"),
  "rest-binary-lambda-proxy-right-wildcard-test": binaryLambda("test3", ["image/png", "application/*", "image/jpg"], "application/test"),
  "rest-binary-lambda-proxy-right-wildcard-whatever": binaryLambda("test3", ["image/png", "application/*", "image/jpg"], "application/test"),

  // canary
  "rest-canary-100-percent": { definition: REST("dev", {}), prepare: "canary" },

  // CORS
  "http-cors-preflight-auto": { definition: { flavor: "http", stages: { prod: {} }, cors: { allowOrigins: ["https://www.example.com"] }, routes: { "GET /anything": { integration: { type: "mock" } } } }, host: httpHost },
  "rest-cors-static-response-header-mapping": {
    definition: REST("local", {
      "POST /test": {
        integration: lambda("LAMBDA_IDENTITY", "custom", {
          requestTemplates: { "application/json": PARAMS_TEMPLATE },
          responses: { default: { statusCode: 200, responseParameters: { "method.response.header.Access-Control-Allow-Origin": "'*'", "method.response.header.Content-Type": "'text/html'" }, responseTemplates: { "text/html": "$input.path('$')" } } },
        } as Partial<IntegrationDefinition>),
      },
    }),
  },

  // gateway responses
  "rest-gateway-responses-effective-config": {
    skip: "control-plane evidence (GET /restapis/{id}/gatewayresponses on Amazon's management API); its data-plane rules are tested in test/worker/pipeline/gateway-responses.test.ts",
  },

  // headers
  "rest-headers-aws-map-content-length-500": headerRoute(lambda("LAMBDA_ECHO", "custom", { requestParameters: single("Content-Length", "0") } as Partial<IntegrationDefinition>)),
  "rest-headers-aws-map-expect-500": headerRoute(lambda("LAMBDA_ECHO", "custom", { requestParameters: single("Expect", "200-ok") } as Partial<IntegrationDefinition>)),
  "rest-headers-aws-map-te-500": headerRoute(lambda("LAMBDA_ECHO", "custom", { requestParameters: single("TE", "gzip") } as Partial<IntegrationDefinition>)),
  "rest-headers-aws-no-mapping": { ...headerRoute(lambda("LAMBDA_ECHO", "custom")), observe: "echo-lambda-custom" },
  "rest-headers-aws-proxy-full-mapping-and-remapped-response": {
    ...headerRoute(lambda("LAMBDA_ECHO", "1.0", { requestParameters: fullMapping(["content-length", "transfer-encoding", "authorization", "connection", "expect", "te"]) } as Partial<IntegrationDefinition>)),
    observe: "echo-lambda-proxy",
  },
  "rest-headers-aws-proxy-map-authorization-500": headerRoute(lambda("LAMBDA_ECHO", "1.0", { requestParameters: single("Authorization", "request_params_authorization") } as Partial<IntegrationDefinition>)),
  "rest-headers-aws-proxy-map-connection-500": headerRoute(lambda("LAMBDA_ECHO", "1.0", { requestParameters: single("Connection", "keep-alive") } as Partial<IntegrationDefinition>)),
  "rest-headers-aws-proxy-map-content-length-500": headerRoute(lambda("LAMBDA_ECHO", "1.0", { requestParameters: single("Content-Length", "0") } as Partial<IntegrationDefinition>)),
  "rest-headers-aws-proxy-map-expect-500": headerRoute(lambda("LAMBDA_ECHO", "1.0", { requestParameters: single("Expect", "200-ok") } as Partial<IntegrationDefinition>)),
  "rest-headers-aws-proxy-map-te-500": headerRoute(lambda("LAMBDA_ECHO", "1.0", { requestParameters: single("TE", "gzip") } as Partial<IntegrationDefinition>)),
  "rest-headers-aws-proxy-map-transfer-encoding-500": headerRoute(lambda("LAMBDA_ECHO", "1.0", { requestParameters: single("Transfer-Encoding", "deflate") } as Partial<IntegrationDefinition>)),
  "rest-headers-http-full-mapping-and-remapped-response": {
    ...headerRoute({
      type: "http",
      method: "POST",
      uri: backend("httpbin/post"),
      requestParameters: fullMapping(["content-length", "transfer-encoding"]),
      requestTemplates: { "application/json": FULL_TEMPLATE },
      responses: { default: { statusCode: 200, responseParameters: FULL_RESPONSE_PARAMETERS } },
    }),
    observe: "echo-http",
  },
  "rest-headers-http-map-content-length-500": headerRoute({ type: "http", method: "POST", uri: backend("httpbin/post"), requestParameters: single("Content-Length", "0") }),
  "rest-headers-http-proxy-full-mapping-and-remapped-response": {
    ...headerRoute({ type: "http_proxy", uri: backend("httpbin/anything"), requestParameters: fullMapping(["content-length", "transfer-encoding"]) }),
    observe: "echo-http",
  },
  "rest-headers-http-proxy-map-transfer-encoding-500": headerRoute({ type: "http_proxy", uri: backend("httpbin/anything"), requestParameters: single("Transfer-Encoding", "deflate") }),
  "rest-headers-http-proxy-no-mapping": { ...headerRoute({ type: "http_proxy", uri: backend("httpbin/anything") }), observe: "echo-http" },
  "rest-response-headers-lambda-proxy-trace-id-echo": {
    definition: REST("dev", { "GET /path": { integration: mock('{"statusCode": 200}') }, "ANY /{proxy+}": { integration: lambda("LAMBDA_ECHO", "1.0") } }),
  },
  "rest-response-headers-mock-no-trace-id": {
    definition: REST("dev", { "GET /path": { integration: mock('{"statusCode": 200}') }, "ANY /{proxy+}": { integration: lambda("LAMBDA_ECHO", "1.0") } }),
  },

  // HTTP and HTTP_PROXY integrations
  "rest-http-backend-request-and-response-headers": {
    definition: REST("test", { "POST /test": { integration: { type: "http", method: "POST", uri: backend("lambda-url/"), responses: { default: { statusCode: 200, responseTemplates: { "application/json": "$input.json('$')" } } } } } }),
  },
  "rest-http-proxy-backend-request-and-response-headers": { definition: REST("test", { "POST /test": { integration: { type: "http_proxy", method: "POST", uri: backend("lambda-url/") } } }) },
  "rest-http-proxy-status-passthrough": {
    definition: REST("test", { "POST /{map+}": { integration: { type: "http_proxy", uri: backend("lambda-url/{map}"), requestParameters: { "integration.request.path.map": "method.request.path.map" } } } }),
  },

  // integration errors
  "http-lambda-error-500": { definition: { flavor: "http", stages: { prod: {} }, routes: { "GET /route": { integration: lambda("LAMBDA_NOT_BOUND", "2.0") } } }, host: httpHost },
  "rest-http-proxy-network-error-504": { definition: REST("prod", { "ANY /{proxy+}": { integration: { type: "http_proxy", uri: "http://127.0.0.1:1/{proxy}" } } }), values: { "{stage}": "prod" } },
  "rest-lambda-proxy-handler-exception-502": { definition: REST("prod", { "GET /x": { integration: lambda("LAMBDA_CHOOSE", "1.0") } }), values: { "{stage}": "prod" } },
  "rest-lambda-proxy-integration-http-method-get-500": {
    skip: "needs Lambda's Invoke API refusing a GET (integrationHttpMethod GET): Amazon-only infrastructure; Portico always invokes with POST",
  },

  // integration responses
  "rest-http-custom-unmatched-status-becomes-200": {
    definition: REST("test", {
      "POST /{map+}": {
        integration: {
          type: "http",
          uri: backend("lambda-url/{map}"),
          requestParameters: { "integration.request.path.map": "method.request.path.map" },
          responses: { default: { statusCode: 200, responseTemplates: { "application/json": "$input.json('$')" } } },
        },
      },
    }),
  },
  "rest-http-selection-pattern-201-to-200": {
    definition: REST("test", {
      "GET /{status}": {
        integration: {
          type: "http",
          method: "GET",
          uri: backend("status/{status}"),
          requestParameters: { "integration.request.path.status": "method.request.path.status" },
          responses: { default: { statusCode: 200 }, "4\\d{2}": { statusCode: 400 } },
        },
      },
    }),
  },
  "rest-lambda-selection-pattern-200-to-200": {
    definition: REST("dev", { "GET /{statusCode}": { integration: lambda("LAMBDA_SELECT", "custom", { requestTemplates: { "application/json": `{"statusCode": "$input.params('statusCode')"}` }, responses: SELECT_RESPONSES } as Partial<IntegrationDefinition>) } }),
  },
  "rest-lambda-selection-pattern-500-to-502": {
    definition: REST("dev", { "GET /{statusCode}": { integration: lambda("LAMBDA_SELECT", "custom", { requestTemplates: { "application/json": `{"statusCode": "$input.params('statusCode')"}` }, responses: SELECT_RESPONSES } as Partial<IntegrationDefinition>) } }),
  },

  // Lambda custom
  "rest-lambda-async-invocation-empty-body": {
    definition: REST("test", { "ANY /wait/{seconds}": { integration: lambda("LAMBDA_ECHO", "custom", { requestParameters: { "integration.request.header.X-Amz-Invocation-Type": "'Event'" }, responses: { default: { statusCode: 200 } } } as Partial<IntegrationDefinition>) } }),
  },

  // Lambda proxy
  "http-lambda-v2-event-multivalue-join": { definition: { flavor: "http", stages: { prod: {} }, routes: { $default: { integration: lambda("LAMBDA_ECHO", "2.0") } } }, host: httpHost },
  "http-lambda-v2-infer-string": {
    // The Lambda returns the JSON string "Hello from Lambda!" (a GET carries no body to choose it with).
    definition: { flavor: "http", stages: { prod: { variables: { lambdaResult: JSON.stringify(byId("http-lambda-v2-infer-string").expected.body) } } }, routes: { "GET /route": { integration: lambda("LAMBDA_CHOOSE", "2.0") } } },
    host: httpHost,
  },
  "rest-lambda-proxy-event-with-double-slash": echoRest,
  "rest-lambda-proxy-event-with-params-encoding": echoRest,
  "rest-lambda-proxy-event-with-params-encoding-multi": echoRest,
  "rest-lambda-proxy-event-with-path-encoded-email": echoRest,
  "rest-lambda-proxy-event-with-prepended-slash": echoRest,
  "rest-lambda-proxy-event-with-trailing-slash-and-query-params": echoRest,
  "rest-lambda-proxy-ignores-request-parameters": {
    definition: REST("test", {
      "ANY /{pathVariable}": {
        integration: lambda("LAMBDA_ECHO", "1.0", {
          requestParameters: JSON.parse(/integration requestParameters: (\{.*?\}); stage/.exec(byId("rest-lambda-proxy-ignores-request-parameters").config)![1]!.replace(/'/g, '"')),
        } as Partial<IntegrationDefinition>),
      },
    }),
  },
  "rest-lambda-proxy-b64-encoded-true": chooseRest,
  "rest-lambda-proxy-empty-response": chooseRest,
  "rest-lambda-proxy-multi-headers-invalid": chooseRest,
  "rest-lambda-proxy-multi-headers-overwrite": chooseRest,
  "rest-lambda-proxy-multi-headers-overwrite-casing": chooseRest,
  "rest-lambda-proxy-no-body": chooseRest,
  "rest-lambda-proxy-only-headers": chooseRest,
  "rest-lambda-proxy-status-code-str": chooseRest,
  "rest-lambda-proxy-status-passthrough-ignores-integration-responses": {
    definition: {
      flavor: "rest",
      stages: { api: { variables: { lambdaResult: JSON.stringify(JSON.parse(/returning (\{.*?\}); method/.exec(byId("rest-lambda-proxy-status-passthrough-ignores-integration-responses").config)![1]!.replace(/(\w+):/g, '"$1":').replace(/'/g, '"').replace('"headers":{"content-type"', '"headers":{"content-type"'))) } } },
      routes: { "GET /{proxy+}": { integration: lambda("LAMBDA_CHOOSE", "1.0") } },
    },
  },
  "rest-lambda-proxy-with-headers-null": chooseRest,
  "rest-lambda-proxy-wrong-format": chooseRest,

  // mock
  "rest-mock-imported-openapi-params": {
    definition: REST("test", { "ANY /echo/{data}": { integration: { type: "mock", passthroughBehavior: "WHEN_NO_TEMPLATES", requestTemplates: { "application/json": '{"statusCode": 200}' }, responses: { default: { statusCode: 200, responseTemplates: { "application/json": `{"echo": "$input.params('data')", "response": "mocked"}` } } } } } }),
  },
  "rest-mock-scope-selection-docs": {
    definition: REST("prod", {
      "GET /res": {
        integration: {
          type: "mock",
          requestTemplates: { "application/json": `{ #if( $input.params('scope') == "internal" ) "statusCode": 200 #else "statusCode": 500 #end }` },
          responses: {
            default: { statusCode: 200, responseTemplates: { "application/json": '{"statusCode": 200, "message": "Go ahead without me."}' } },
            "500": { statusCode: 500, responseTemplates: { "application/json": '{"statusCode": 500, "message": "The invoked method is not supported on the API resource."}' } },
          },
        },
      },
    }),
    values: { "{stage}": "prod" },
  },

  // passthrough
  "rest-passthrough-never-unmapped-content-type-415": { definition: REST("prod", { "POST /res": { integration: { type: "mock", passthroughBehavior: "NEVER", requestTemplates: { "application/json": '{"statusCode": 200}' } } } }), values: { "{stage}": "prod" } },
  "rest-passthrough-no-content-type-defaults-json": { definition: REST("prod", { "POST /res": { integration: { type: "mock", passthroughBehavior: "NEVER", requestTemplates: { "application/xml": '{"statusCode": 200}' } } } }), values: { "{stage}": "prod" } },

  // request validation
  "rest-validation-blank-querystring-is-missing": { definition: REST("testStage", { "GET /validation": { validate: { query: ["q1"] }, integration: mock() } }) },
  "rest-validation-disabled-validator-passes": validation(false),
  "rest-validation-empty-body-get-invalid": validation(true),
  "rest-validation-missing-querystring": validation(true),
  "rest-validation-oneof-failed-validation-bad-data": { definition: REST("local", { "POST /path": { validate: { body: "TestModel" }, integration: okMock } }, { models: refModels() }) },
  "rest-validation-oneof-successful": { definition: REST("local", { "POST /path": { validate: { body: "TestModel" }, integration: okMock } }, { models: refModels() }) },
  "rest-validation-ref-model-array-ok": {
    definition: REST("local", { "POST /path": { validate: { body: "testSchemaList" }, integration: okMock } }, {
      models: { testSchemaList: { type: "array", items: { $ref: "https://apigateway.amazonaws.com/restapis/x/models/testSchema" } }, testSchema: validation(true).definition.models!.testSchema! },
    }),
  },
  "rest-validation-ref-model-no-body": {
    definition: REST("local", { "POST /path": { validate: { body: "testSchemaList" }, integration: okMock } }, {
      models: { testSchemaList: { type: "array", items: { $ref: "https://apigateway.amazonaws.com/restapis/x/models/testSchema" } }, testSchema: validation(true).definition.models!.testSchema! },
    }),
  },
  "rest-validation-valid-request-passes": validation(true),

  // routing
  "http-routing-not-found": { definition: { flavor: "http", stages: { prod: {} }, routes: { "GET /pets": named("GET /pets") } }, host: httpHost },
  ...Object.fromEntries(
    ["http-routing-pets-cat-1-get", "http-routing-pets-dog-1-get", "http-routing-pets-dog-2-get", "http-routing-test-5-post"].map((id) => [
      id,
      {
        definition: { flavor: "http", stages: { prod: {} }, routes: Object.fromEntries(["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default"].map((k) => [k, named(k)])) },
        host: httpHost,
        observe: "route",
      } satisfies Setup,
    ]),
  ),
  "rest-routing-existing-route-200": { definition: REST("dev", { "GET /existing": { integration: mock('{"statusCode": 200, "message": "exists"}') } }) },
  "rest-routing-options-any-any": { definition: routingMocks({ "POST /test": "POST request", "ANY /test/any": "ANY request", "OPTIONS /{proxy+}": "OPTIONS request" }) },
  "rest-routing-sibling-hardcoded-value": { definition: routingMocks({ "GET /part1": "part1", "GET /{param+}": "proxy", "GET /part1/hardcoded-value": "hardcoded-value" }) },
  "rest-routing-sibling-proxy-via-root-greedy": { definition: routingMocks({ "GET /part1": "part1", "GET /{param+}": "proxy", "GET /part1/hardcoded-value": "hardcoded-value" }) },
  "rest-routing-stage-root-without-method": { definition: REST("prod", { "GET /child": { integration: mock() } }), values: { "{stage}": "prod" } },
  "rest-routing-unknown-path-403": { definition: REST("dev", { "GET /existing": { integration: mock() } }) },
  "rest-routing-unknown-stage-forbidden": { definition: REST("Prod", { "GET /anything": { integration: mock() } }) },

  // stage variables
  "rest-stage-variable-undefined-renders-empty": { definition: REST("local", { "POST /test": { integration: lambda("LAMBDA_IDENTITY", "custom", { requestTemplates: { "application/json": '{ "version": "$stageVariables.version" }' } } as Partial<IntegrationDefinition>) } }) },
  "rest-stage-variables-in-http-proxy-uri": {
    definition: {
      flavor: "rest",
      stages: { v1: { variables: { TestHost: "", testPath: "test-path", querystring: "qs_key=qs_value" } } },
      routes: { "GET /path1": { integration: { type: "http_proxy", method: "POST", uri: "http://${stageVariables.TestHost}/${stageVariables.testPath}?${stageVariables.querystring}" } } },
    },
    observe: "echo-without-headers",
  },

  // mapping templates
  "rest-mock-params-path-map-never": {
    definition: REST("test", { "POST /{id}": { integration: { type: "mock", passthroughBehavior: "NEVER", requestTemplates: { "application/json": '{"statusCode":200}' }, responses: { default: { statusCode: 200, responseTemplates: { "application/json": '{"statusCode": 200, "id": $input.params().path.id}' } } } } } }),
  },
  "rest-mock-params-path-map-when-no-match": {
    definition: REST("test", { "POST /{id}": { integration: { type: "mock", passthroughBehavior: "WHEN_NO_MATCH", requestTemplates: { "application/json": '{"statusCode":200}' }, responses: { default: { statusCode: 200, responseTemplates: { "application/json": '{"statusCode": 200, "id": $input.params().path.id}' } } } } } }),
  },
  "rest-mock-response-override-from-request-template-with-response-template": {
    definition: REST("dev", {
      "GET /": {
        integration: {
          type: "mock",
          requestTemplates: { "application/json": templateIn("rest-mock-response-override-from-request-template-with-response-template", "request template:\n", "\nintegration response") },
          responses: { default: { statusCode: 200 }, "2\\d{2}": { statusCode: 200, responseTemplates: { "application/json": templateIn("rest-mock-response-override-from-request-template-with-response-template", "responseTemplate:\n", "; stage") } } },
        },
      },
    }),
  },
  "rest-vtl-base64decode-parsejson-path-else": {
    definition: REST("dev", {
      "GET /{testPath}": {
        integration: {
          type: "mock",
          requestTemplates: { "application/json": templateIn("rest-vtl-base64decode-parsejson-path-else", "request template:\n", "\nintegration response") },
          responses: { default: { statusCode: 200 }, "2\\d{2}": { statusCode: 200, responseTemplates: { "application/json": templateIn("rest-vtl-base64decode-parsejson-path-else", "responseTemplate:\n", "\n; stage") } } },
        },
      },
    }),
  },
  "rest-vtl-context-keyset-rendering": {
    // The recorded SQS integration: SendMessage over SQS's JSON protocol, the MessageBody the template builds (the
    // keyset loops, escaped into the JSON request), read back from the queue.
    definition: REST("testing", {
      "POST /sqs": {
        integration: {
          type: "aws",
          uri: "arn:aws:apigateway:us-east-1:sqs:path/111111111111/${stageVariables.queue}",
          httpMethod: "POST",
          credentials: AWS_CREDENTIALS,
          endpoint: "${stageVariables.aws}",
          passthroughBehavior: "NEVER",
          requestParameters: { "integration.request.header.X-Amz-Target": "'AmazonSQS.SendMessage'", "integration.request.header.Content-Type": "'application/x-amz-json-1.0'" },
          // As the recorded template writes it: the MessageBody's JSON inside the request's JSON, its quotes escaped.
          requestTemplates: { "application/json": `{"QueueUrl": "$stageVariables.queueUrl", "MessageBody": "${KEYSET_TEMPLATE.replace(/"/g, '\\"')}"}` },
          responses: { default: { statusCode: 200, responseTemplates: { "application/json": '{"message": "great success!"}' } } },
        },
      },
    }),
    prepare: "queue",
    observe: "sqs-message",
  },
  ...Object.fromEntries(CASES.filter((c) => c.id.startsWith("rest-vtl-input-body-")).map((c) => [c.id, inputBody])),
  "rest-vtl-input-json-path-size-docs-example": {
    definition: REST("prod", { "POST /things/{id}": { integration: renderTo(`{\n    "id" : "$input.params('id')",\n    "count" : "$input.path('$.things').size()",\n    "things" : $util.escapeJavaScript($input.json('$.things'))\n}`) } }),
    values: { "{stage}": "prod" },
  },
  ...Object.fromEntries(CASES.filter((c) => c.id.startsWith("rest-vtl-input-path-")).map((c) => [c.id, inputPath])),
  "rest-vtl-map-assignment-forms": {
    definition: REST("dev", {
      "GET /": {
        integration: {
          type: "mock",
          requestTemplates: { "application/json": templateIn("rest-vtl-map-assignment-forms", "request template:\n", "\nresponse template") },
          responses: { default: { statusCode: 200, responseTemplates: { "application/json": templateIn("rest-vtl-map-assignment-forms", "response template:\n", null) } } },
        },
      },
    }),
  },
  "rest-vtl-parsejson-docs-example": {
    definition: REST("prod", { "POST /docs": { integration: renderTo(/Template: '(.*)' applied/s.exec(byId("rest-vtl-parsejson-docs-example").config)![1]!.replace(/\\n/g, "\n").replace(/\\'/g, "'")) } }),
    request: { method: "POST", path: "/prod/docs", body: byId("rest-vtl-parsejson-docs-example").request.payload! },
  },
  "rest-vtl-response-override-status-202": {
    definition: REST("api", { "POST /test": { integration: lambda("LAMBDA_OVERRIDE", "custom", { requestTemplates: { "application/json": REQUEST_TEMPLATE_VM }, responses: { default: { statusCode: 200, responseTemplates: { "application/json": OVERRIDE_TEMPLATE } } } } as Partial<IntegrationDefinition>) } }),
  },

  // WebSocket
  "ws-frame-too-large-1009": WEBSOCKET,
  "ws-route-selection-non-json-default": WEBSOCKET,
  "ws-route-validation-bad-request-body": WEBSOCKET,
  "ws-connections-delete-204": WEBSOCKET,
  "ws-connections-get-200": WEBSOCKET,
  "ws-connections-gone-410": WEBSOCKET,
};

/** A template quoted in a case's config, between two markers (read from the recording, not retyped). */
function templateIn(id: string, after: string, before: string | null): string {
  const config = byId(id).config;
  const start = config.indexOf(after) + after.length;
  const end = before === null ? config.length : config.indexOf(before, start);
  return config.slice(start, end);
}
