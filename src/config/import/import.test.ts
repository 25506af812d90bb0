/**
 * The import on its own (pure, no pipeline): what each of Amazon's extensions becomes, what is listed instead and
 * at which JSON path, which problems make the result serve wrongly (errors) and which do not (warnings), and bad
 * input — broken `$ref`s, unknown extensions, a mapping template that does not compile, templates the import
 * cannot resolve. Serving the imported fixtures: test/worker/pipeline/aws-exports.test.ts.
 */
import { describe, expect, it } from "vitest";
import { formatPath } from "../field-errors.ts";
import type { CustomAuthorizerDefinition, JwtAuthorizerDefinition } from "../types.ts";
import { checkImport, importApi, importText, type ImportOptions } from "./index.ts";
import petstore from "../../../test/fixtures/aws/petstore-example.swagger2.json";
import integrations from "../../../test/fixtures/aws/http-api-integrations.oas30.json";
import s3Sqs from "../../../test/fixtures/aws/s3-sqs-service-proxy.swagger2.json";
import sqsSubtypes from "../../../test/fixtures/aws/sqs-subtypes-http-api.oas30.json";
import streamingPrivate from "../../../test/fixtures/aws/rest-streaming-private.oas30.json";
import samHttp from "../../../test/fixtures/aws/sam-http-api-jwt-lambda.yaml?raw";

const swagger = (paths: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ swagger: "2.0", info: { title: "Test API" }, paths, ...more });
const op = (integration: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ responses: {}, "x-amazon-apigateway-integration": integration, ...more });
const HTTP = { type: "http_proxy", httpMethod: "GET", uri: "https://backend.example.com/a" };

/** The import's issues as `severity path: message` lines. */
function issuesOf(doc: unknown, options: ImportOptions = {}) {
  return importApi(doc, options).issues.map((i) => `${i.severity} ${formatPath(i.path)}: ${i.message}`);
}
/** Every error a validate would report (import issues that serve wrongly, and the definition's own). */
function errorsOf(doc: unknown, options: ImportOptions = {}) {
  return checkImport(importApi(doc, options)).errors.map((e) => `${formatPath(e.path)}: ${e.message}`);
}

describe("what the extensions become", () => {
  it("Amazon's PetStore example: its routes, models (draft 4, references rewritten) and nothing that serves wrongly", () => {
    const { definition, issues } = importApi(structuredClone(petstore));
    expect(Object.keys(definition!.routes)).toEqual(["GET /", "GET /pets", "POST /pets", "OPTIONS /pets", "GET /pets/{petId}", "OPTIONS /pets/{petId}"]);
    expect(definition!.name).toBe("petstore");
    expect(definition!.models!.Pets).toEqual({ $schema: "http://json-schema.org/draft-04/schema#", type: "array", items: { $ref: "#/models/Pet" } });
    expect(definition!.routes["GET /pets"]!.integration).toMatchObject({
      type: "http",
      method: "GET",
      passthroughBehavior: "WHEN_NO_MATCH",
      requestParameters: { "integration.request.querystring.page": "method.request.querystring.page" },
    });
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(issues.map((i) => formatPath(i.path))).toContain('["x-amazon-apigateway-documentation"]');
  });

  it("HTTP APIs' reusable integrations ($ref into components) become Lambda-style service bindings, named after the function unless mapped", () => {
    const { definition } = importApi(structuredClone(integrations), { lambda: { "my-function": "MY_FN" } });
    expect(definition!.flavor).toBe("http");
    expect(definition!.routes["GET /pets"]!.integration).toEqual({ type: "service", service: "MY_FN", payloadFormat: "1.0" });
    expect(definition!.routes["GET /checkout"]!.integration).toMatchObject({ service: "EXAMPLE_FUNCTION" });
    // Its server's base path (example/path) is no stage name: the default stage.
    expect(definition!.stages).toEqual({ prod: {} });
  });

  it("stages and stage variables from the options; integration URIs rewritten by `backends`; stage variables in URIs kept", () => {
    const doc = swagger({ "/a": { get: op({ ...HTTP, uri: "http://petstore-demo-endpoint.execute-api.com/petstore/pets" }) }, "/b": { get: op({ ...HTTP, uri: "${stageVariables.host}/b" }) } }, { basePath: "/test" });
    const { definition } = importApi(doc, { stages: ["dev", "prod"], stageVariables: { host: "https://b.example.com" }, backends: { "http://petstore-demo-endpoint.execute-api.com": "http://127.0.0.1:9000" } });
    expect(definition!.stages).toEqual({ dev: { variables: { host: "https://b.example.com" } }, prod: { variables: { host: "https://b.example.com" } } });
    expect(definition!.routes["GET /a"]!.integration).toMatchObject({ uri: "http://127.0.0.1:9000/petstore/pets" });
    expect(definition!.routes["GET /b"]!.integration).toMatchObject({ uri: "${stageVariables.host}/b" });
    expect(importApi(doc).definition!.stages).toEqual({ test: {} });
  });

  it("Lambda custom integrations (AWS to a function) keep their templates and responses, as payloadFormat custom", () => {
    const uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Calc/invocations";
    const { definition } = importApi(swagger({ "/calc": { post: op({ type: "AWS", httpMethod: "POST", uri, requestTemplates: { "application/json": "{}" }, responses: { default: { statusCode: "200" } } }) } }));
    expect(definition!.routes["POST /calc"]!.integration).toEqual({ type: "service", service: "CALC", payloadFormat: "custom", requestTemplates: { "application/json": "{}" }, responses: { default: { statusCode: "200" } } });
  });

  it("authorizers: a Lambda TOKEN and REQUEST authorizer, Cognito as JWT with the pool's issuer, HTTP APIs' JWT; scopes and API keys on routes", () => {
    const lambda = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Auth/invocations";
    const doc = swagger(
      {
        "/a": { get: op(HTTP, { security: [{ tok: [], api_key: [] }] }) },
        "/b": { get: op(HTTP, { security: [{ req: [] }] }) },
        "/c": { get: op(HTTP, { security: [{ pool: ["orders/read"] }] }) },
      },
      {
        securityDefinitions: {
          tok: { type: "apiKey", name: "X-Token", in: "header", "x-amazon-apigateway-authtype": "custom", "x-amazon-apigateway-authorizer": { type: "token", authorizerUri: lambda, identityValidationExpression: "^x-[a-z]+", authorizerResultTtlInSeconds: "60" } },
          req: { type: "apiKey", name: "Unused", in: "header", "x-amazon-apigateway-authorizer": { type: "request", authorizerUri: lambda, identitySource: "method.request.header.HeaderAuth1, method.request.querystring.QueryString1, stageVariables.stage" } },
          pool: { type: "apiKey", name: "Authorization", in: "header", "x-amazon-apigateway-authorizer": { type: "cognito_user_pools", providerARNs: ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC"] } },
          api_key: { type: "apiKey", name: "x-api-key", in: "header" },
        },
      },
    );
    const { definition } = importApi(doc, { lambda: { Auth: "AUTH_FN" } });
    expect(definition!.authorizers!.tok).toEqual({ type: "custom", mode: "token", service: "AUTH_FN", resultTtlSeconds: 60, identitySource: "$request.header.X-Token", validationExpression: "^x-[a-z]+" } satisfies CustomAuthorizerDefinition);
    expect((definition!.authorizers!.req as CustomAuthorizerDefinition).identitySource).toEqual(["$request.header.HeaderAuth1", "$request.querystring.QueryString1", "$stageVariables.stage"]);
    expect(definition!.authorizers!.pool).toEqual({
      type: "jwt",
      issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
      allowAnyAudience: true,
      jwksUrl: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/.well-known/jwks.json",
    } satisfies JwtAuthorizerDefinition);
    expect(definition!.routes["GET /a"]).toMatchObject({ authorizer: "tok", apiKeyRequired: true });
    expect(definition!.routes["GET /c"]!.authorizer).toEqual({ name: "pool", scopes: ["orders/read"] });
  });

  it("AWS_IAM (x-amazon-apigateway-auth or an awsSigv4 scheme) becomes one SigV4 authorizer; without keys to verify against it is an error", () => {
    const doc = swagger({ "/iam": { get: op(HTTP, { "x-amazon-apigateway-auth": { type: "AWS_IAM" } }) } });
    expect(errorsOf(doc)[0]).toMatch(/^paths\["\/iam"\]\.get\["x-amazon-apigateway-auth"\]: AWS_IAM: Portico verifies SigV4 against access keys you name/);
    const { definition } = importApi(doc, { sigv4: { region: "eu-west-1", credentials: { AKIAEXAMPLEEXAMPLE01: "PARTNER_SECRET" } } });
    expect(definition!.authorizers!.iam).toEqual({ type: "sigv4", region: "eu-west-1", credentials: { AKIAEXAMPLEEXAMPLE01: "PARTNER_SECRET" } });
    expect(definition!.routes["GET /iam"]!.authorizer).toBe("iam");
  });

  it("gateway responses, binary media types, the API key source, CORS and an IP resource policy", () => {
    const { definition, issues } = importApi(
      swagger(
        { "/a": { get: op(HTTP) } },
        {
          "x-amazon-apigateway-gateway-responses": {
            INVALID_API_KEY: { statusCode: "456", responseParameters: { "gatewayresponse.header.x-id": "context.requestId", "gatewayresponse.header.api-key": "method.request.header.api-key" }, responseTemplates: { "application/json": '{"message": "Bad api-key"}' } },
            WAF_FILTERED: { statusCode: "403" },
          },
          "x-amazon-apigateway-binary-media-types": ["image~1png"],
          "x-amazon-apigateway-api-key-source": "AUTHORIZER",
          "x-amazon-apigateway-cors": { allowOrigins: ["https://a.example"], maxAge: 60 },
          "x-amazon-apigateway-policy": {
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Principal: "*", Action: "execute-api:Invoke", Resource: ["execute-api:/*"] },
              { Effect: "Deny", Principal: "*", Action: "execute-api:Invoke", Resource: ["execute-api:/*"], Condition: { IpAddress: { "aws:SourceIp": "192.0.2.0/24" } } },
            ],
          },
        },
      ),
    );
    expect(definition!.gatewayResponses).toEqual({ INVALID_API_KEY: { status: 456, headers: { "x-id": "$context.requestId" }, body: '{"message": "Bad api-key"}' } });
    expect(definition!.settings).toEqual({ binaryMediaTypes: ["image/png"], apiKeySource: "AUTHORIZER" });
    expect(definition!.cors).toEqual({ allowOrigins: ["https://a.example"], maxAge: 60 });
    expect(definition!.resourcePolicy).toEqual({ deny: { ips: ["192.0.2.0/24"] } });
    const listed = issues.map((i) => `${i.severity} ${formatPath(i.path)}`);
    expect(listed).toContain('warning ["x-amazon-apigateway-gateway-responses"].INVALID_API_KEY.responseParameters["gatewayresponse.header.api-key"]');
    expect(listed).toContain('warning ["x-amazon-apigateway-gateway-responses"].WAF_FILTERED');
  });

  it("request validators: the method's (else the API's) decides what is checked; without one Amazon checks nothing", () => {
    const doc = swagger(
      {
        "/v": {
          post: op(HTTP, { "x-amazon-apigateway-request-validator": "all", parameters: [{ in: "header", name: "h1", required: true }, { in: "body", name: "B", schema: { $ref: "#/definitions/Body" } }] }),
          get: op(HTTP, { parameters: [{ in: "query", name: "q", required: true }] }),
        },
        "/n": { get: op(HTTP, { parameters: [{ in: "query", name: "q", required: true }] }) },
      },
      {
        "x-amazon-apigateway-request-validators": { all: { validateRequestBody: true, validateRequestParameters: true }, params: { validateRequestParameters: true } },
        "x-amazon-apigateway-request-validator": "params",
        definitions: { Body: { type: "object" } },
      },
    );
    const { definition } = importApi(doc);
    expect(definition!.routes["POST /v"]!.validate).toEqual({ headers: ["h1"], body: "Body" });
    expect(definition!.routes["GET /v"]!.validate).toEqual({ query: ["q"] });
    const { definition: none } = importApi({ ...doc, "x-amazon-apigateway-request-validator": undefined });
    expect(none!.routes["GET /n"]!.validate).toBeUndefined();
  });
});

describe("bad input, each at its JSON path", () => {
  it("a broken $ref: the model is an error, and the route that validates with it is left out", () => {
    const doc = swagger(
      { "/p": { post: op(HTTP, { "x-amazon-apigateway-request-validator": "all", parameters: [{ in: "body", name: "B", schema: { $ref: "#/definitions/Pet" } }] }) } },
      { "x-amazon-apigateway-request-validators": { all: { validateRequestBody: true } }, definitions: { Pet: { type: "object", properties: { owner: { $ref: "#/definitions/Owner" } } } } },
    );
    const { definition } = importApi(doc);
    expect(definition!.routes["POST /p"]).toBeUndefined();
    expect(issuesOf(doc)).toContain('error definitions.Pet.properties.owner.$ref: #/definitions/Owner points to nothing: there is no schema "Owner"');
  });

  it("broken references to parameters and to reusable integrations, and remote references", () => {
    const doc = {
      openapi: "3.0.1",
      info: { title: "t" },
      paths: {
        "/a": { get: { "x-amazon-apigateway-integration": { $ref: "#/components/x-amazon-apigateway-integrations/missing" } } },
        "/b": { post: op(HTTP, { requestBody: { content: { "application/json": { schema: { $ref: "other.json#/Pet" } } } }, "x-amazon-apigateway-request-validator": "v" }) },
      },
      "x-amazon-apigateway-request-validators": { v: { validateRequestBody: true } },
    };
    const found = issuesOf(doc);
    expect(found).toContain('error paths["/a"].get["x-amazon-apigateway-integration"].$ref: #/components/x-amazon-apigateway-integrations/missing points to nothing in this document: the route is not carried over');
    expect(found).toContain('error paths["/b"].post.requestBody.content["application/json"].schema.$ref: other.json#/Pet: only references inside this document are followed (remote references are never fetched)');
  });

  it("unknown extensions are listed (warnings: Amazon's own unknown extensions), at every level", () => {
    const doc = swagger({ "/a": { "x-amazon-apigateway-shiny": 1, get: op({ ...HTTP, fancy: true }, { "x-amazon-apigateway-magic": {} }) } }, { "x-amazon-apigateway-new-thing": true });
    expect(issuesOf(doc)).toEqual(
      expect.arrayContaining([
        'warning paths["/a"]["x-amazon-apigateway-shiny"]: unknown extension: not carried over',
        'warning paths["/a"].get["x-amazon-apigateway-magic"]: unknown extension: not carried over',
        'warning paths["/a"].get["x-amazon-apigateway-integration"].fancy: not carried over: a field of the integration Portico does not know',
        'warning ["x-amazon-apigateway-new-thing"]: unknown extension: not carried over',
      ]),
    );
    expect(errorsOf(doc)).toEqual([]);
  });

  it("a mapping template that does not compile is an error at the template's JSON path, with its line and column", () => {
    const doc = swagger({ "/a": { get: op({ type: "mock", requestTemplates: { "application/json": '{"statusCode": 200}\n#if($x)' } }) } });
    expect(errorsOf(doc)).toEqual(['paths["/a"].get["x-amazon-apigateway-integration"].requestTemplates["application/json"]: line 2, column 1: #if has no matching #end']);
  });

  it("what would serve wrongly: an AWS integration called with each caller's credentials, a private API, alternative security, a resource policy Portico cannot express", () => {
    const s3 = { type: "aws", httpMethod: "GET", uri: "arn:aws:apigateway:us-east-1:s3:path/{bucket}", credentials: "arn:aws:iam::*:user/*" };
    const doc = swagger(
      { "/s3": { get: op(s3) }, "/either": { get: op(HTTP, { security: [{ a: [] }, { b: [] }] }) } },
      {
        "x-amazon-apigateway-endpoint-configuration": { vpcEndpointIds: ["vpce-0123"] },
        "x-amazon-apigateway-policy": { Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "execute-api:Invoke", Resource: "execute-api:/*" }] },
      },
    );
    const errors = issuesOf(doc).filter((i) => i.startsWith("error"));
    expect(errors).toEqual(
      expect.arrayContaining([
        'error paths["/s3"].get["x-amazon-apigateway-integration"].credentials: arn:aws:iam::*:user/*: Amazon calls the service with each caller\'s own credentials; Portico has no caller identity to sign with, and a fixed key would accept callers Amazon refuses: the route is not carried over',
        'error paths["/either"].get.security: alternative security requirements (one OR another): Amazon allows one authorization per method; the route is not carried over',
        'error ["x-amazon-apigateway-endpoint-configuration"].vpcEndpointIds: a private API (reachable only from VPC endpoints): Portico serves the public internet, so it would be open to anyone',
        expect.stringMatching(/^error \["x-amazon-apigateway-policy"\]\.Statement\[0\]: not carried over: a principal other than everyone/),
      ]),
    );
    expect(Object.keys(importApi(doc).definition!.routes)).toEqual([]);
  });

  it("a Lambda alias from a stage variable cannot be a fixed binding", () => {
    const uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Fn:${stageVariables.alias}/invocations";
    expect(issuesOf(swagger({ "/a": { get: op({ type: "aws_proxy", httpMethod: "POST", uri }) } }))[0]).toMatch(/^error .*\.uri: the function's alias comes from a stage variable/);
  });

  it("not an export at all, and OpenAPI versions Amazon does not read", () => {
    expect(issuesOf({ name: "orders", routes: {} })).toEqual(["error (root): not an OpenAPI 3.0 or Swagger 2.0 document, nor a CloudFormation or SAM template"]);
    expect(issuesOf({ openapi: "3.1.0", info: {}, paths: {} })).toEqual(["error openapi: OpenAPI 3.1.0: Amazon API Gateway (and this import) reads 3.0 and Swagger 2.0"]);
  });
});

describe("SAM and CloudFormation templates", () => {
  const template = (resources: string, more = "") => `AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n${more}Resources:\n${resources}`;

  it("parses short-form tags, resolves !Sub of a function's ARN and parameter defaults, adds the routes of function events", () => {
    const result = importText(samHttp, { lambda: { HttpApiFunction: "FN" } });
    expect(result.kind).toBe("cloudformation");
    const def = result.definition!;
    expect(def.flavor).toBe("http");
    expect(def.stages).toEqual({ default: {} });
    // The body's /integration route and the SimpleCase event's $default route (SAM adds it), both to the function.
    expect(def.routes["POST /integration"]!.integration).toEqual({ type: "service", service: "FN", payloadFormat: "1.0" });
    expect(def.routes.$default!.integration).toMatchObject({ type: "service", service: "FN", payloadFormat: "1.0", timeoutMs: 15000 });
    expect(def.routes["POST /integration"]!.authorizer).toEqual({ name: "OpenIdAuth", scopes: ["scope1", "scope2"] });
    // DifferentFunction is no resource of the template: unresolved, and its route is left out.
    expect(def.routes["POST /basic"]).toBeUndefined();
    const listed = result.issues.map((i) => `${i.severity} ${formatPath(i.path)}`);
    expect(listed).toContain('error Resources.MyApi.Properties.DefinitionBody.paths["/basic"].post["x-amazon-apigateway-integration"].uri');
    expect(listed).toContain("warning Globals.HttpApi.CorsConfiguration");
  });

  it("a template with several APIs needs --resource; S3 bodies and SAM's Auth on a REST API are errors", () => {
    const two = template(`  A: { Type: AWS::Serverless::Api, Properties: { StageName: p, DefinitionUri: s3://b/a.yaml } }\n  B: { Type: AWS::Serverless::Api, Properties: { StageName: p, Auth: { DefaultAuthorizer: AWS_IAM }, DefinitionBody: { swagger: '2.0', info: { title: b }, paths: {} } } }\n`);
    expect(importText(two).issues.map((i) => i.message)).toEqual(["the template has 2 APIs (A, B): choose one with --resource"]);
    expect(importText(two, { resource: "A" }).issues.map((i) => `${formatPath(i.path)}: ${i.message}`)).toContain("Resources.A.Properties.DefinitionUri: the definition is not in the template (S3 or a file): import the definition file itself");
    expect(importText(two, { resource: "B" }).issues.map((i) => formatPath(i.path))).toContain("Resources.B.Properties.Auth");
  });

  it("WebSocket APIs are listed as not carried over: an error when there is nothing else, a warning beside an imported API", () => {
    const ws = "  Chat: { Type: AWS::ApiGatewayV2::Api, Properties: { Name: chat, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action } }\n";
    const message = "a WebSocket API: not carried over (import reads REST and HTTP APIs; write it as a flavor: websocket definition, docs/websockets.md)";
    const alone = importText(template(ws));
    expect(alone.definition).toBeUndefined();
    expect(alone.issues).toEqual([{ path: ["Resources", "Chat", "Properties", "ProtocolType"], message, severity: "error" }]);
    const http = "  Api: { Type: AWS::ApiGatewayV2::Api, Properties: { ProtocolType: HTTP, Body: { openapi: 3.0.1, info: { title: shop }, paths: { /a: { get: { x-amazon-apigateway-integration: { type: http_proxy, httpMethod: GET, uri: 'https://a.example.com/a', payloadFormatVersion: '1.0' } } } } } } }\n";
    // One HTTP API beside it: imported without --resource, the WebSocket API listed (not a candidate, not dropped).
    const beside = importText(template(ws + http));
    expect(beside.definition!.flavor).toBe("http");
    expect(beside.issues).toContainEqual({ path: ["Resources", "Chat", "Properties", "ProtocolType"], message, severity: "warning" });
    expect(checkImport(beside).errors).toEqual([]);
    // Chosen by name: refused.
    const chosen = importText(template(ws + http), { resource: "Chat" });
    expect(chosen.definition).toBeUndefined();
    expect(chosen.issues).toEqual([{ path: ["Resources", "Chat", "Properties", "ProtocolType"], message, severity: "error" }]);
  });

  it("SAM's implicit API: function events with no API resource", () => {
    const text = template(`  Hello:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Events:\n        Get: { Type: Api, Properties: { Path: /hello, Method: get } }\n`);
    const { definition } = importText(text);
    expect(definition!.stages).toEqual({ Prod: {} });
    expect(definition!.routes["GET /hello"]!.integration).toEqual({ type: "service", service: "HELLO", payloadFormat: "1.0" });
  });

  it("routing rules of the template's domain name, field by field (Amazon's routing mode too)", () => {
    const text = template(
      [
        "  Api: { Type: AWS::ApiGateway::RestApi, Properties: { Body: { swagger: '2.0', info: { title: shop }, paths: { /a: { get: { x-amazon-apigateway-integration: { type: mock } } } } } } }",
        "  Stage: { Type: AWS::ApiGateway::Stage, Properties: { RestApiId: !Ref Api, StageName: beta } }",
        "  Domain: { Type: AWS::ApiGateway::DomainNameV2, Properties: { DomainName: api.example.com, RoutingMode: ROUTING_RULE_THEN_API_MAPPING } }",
        "  Rule:",
        "    Type: AWS::ApiGatewayV2::RoutingRule",
        "    Properties:",
        "      DomainNameArn: !GetAtt Domain.DomainNameArn",
        "      Priority: 50",
        "      Conditions: [{ MatchHeaders: { AnyOf: [{ Header: x-version, ValueGlob: 'beta*' }] } }, { MatchBasePaths: { AnyOf: [orders] } }]",
        "      Actions: [{ InvokeApi: { ApiId: !Ref Api, Stage: beta, StripBasePath: true } }]",
        "",
      ].join("\n"),
    );
    const result = importText(text);
    expect(result.definition!.domainRouting).toEqual({
      "api.example.com": {
        routingMode: "ROUTING_RULE_THEN_API_MAPPING",
        rules: [
          {
            priority: 50,
            conditions: [{ matchHeaders: { anyOf: [{ header: "x-version", valueGlob: "beta*" }] } }, { matchBasePaths: { anyOf: ["orders"] } }],
            actions: [{ invokeApi: { stage: "beta", stripBasePath: true } }],
          },
        ],
      },
    });
    expect(checkImport(result).errors).toEqual([]);
  });
});

describe("AWS service integrations, VPC links and response streaming, in issue 15's fields", () => {
  const role = (p: string) => `warning ${p}.credentials: the IAM role arn:aws:iam::123456789012:role/apigAwsProxyRole is not carried over: Portico signs with the access key in the Worker secrets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (--aws-secrets names others); give that key only what the role allowed`;

  it("REST: S3 and SQS by Amazon's ARN — uri, httpMethod and mapping as they are; the IAM role becomes the Worker secrets signed with", () => {
    const result = importApi(structuredClone(s3Sqs));
    const routes = result.definition!.routes;
    expect(routes["PUT /{folder}/{item}"]!.integration).toEqual({
      type: "aws",
      uri: "arn:aws:apigateway:us-west-2:s3:path/{bucket}/{object}",
      httpMethod: "PUT",
      credentials: { accessKeyId: "AWS_ACCESS_KEY_ID", secretAccessKey: "AWS_SECRET_ACCESS_KEY" },
      requestParameters: {
        "integration.request.path.object": "method.request.path.item",
        "integration.request.path.bucket": "method.request.path.folder",
        "integration.request.header.Content-Type": "method.request.header.Content-Type",
      },
      passthroughBehavior: "WHEN_NO_MATCH",
      responses: {
        "4\\d{2}": { statusCode: "400" },
        default: { statusCode: "200", responseParameters: { "method.response.header.Content-Type": "integration.response.header.Content-Type", "method.response.header.Content-Length": "integration.response.header.Content-Length" } },
        "5\\d{2}": { statusCode: "500" },
      },
    });
    expect(routes["POST /orders"]!.integration).toMatchObject({
      type: "aws",
      uri: "arn:aws:apigateway:us-west-2:sqs:path/123456789012/orders",
      httpMethod: "POST",
      requestTemplates: { "application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)" },
      passthroughBehavior: "NEVER",
    });
    expect(result.issues.map((i) => `${i.severity} ${formatPath(i.path)}: ${i.message}`)).toContain(role('paths["/{folder}/{item}"].get["x-amazon-apigateway-integration"]'));
    expect(checkImport(result).errors).toEqual([]);
  });

  it("REST: the secrets and an endpoint from the import's options (an emulator), no suggestion to name others", () => {
    const options: ImportOptions = { aws: { credentials: { accessKeyId: "KEY_ID", secretAccessKey: "KEY", sessionToken: "TOKEN" }, endpoint: "${stageVariables.aws}" } };
    const result = importApi(structuredClone(s3Sqs), options);
    expect(result.definition!.routes["GET /{folder}/{item}"]!.integration).toMatchObject({ credentials: { accessKeyId: "KEY_ID", secretAccessKey: "KEY", sessionToken: "TOKEN" }, endpoint: "${stageVariables.aws}" });
    expect(result.issues.find((i) => i.path.at(-1) === "credentials")!.message).toBe(
      "the IAM role arn:aws:iam::123456789012:role/apigAwsProxyRole is not carried over: Portico signs with the access key in the Worker secrets KEY_ID and KEY (session token TOKEN); give that key only what the role allowed",
    );
    expect(checkImport(result, { localDev: true }).errors).toEqual([]);
  });

  it("HTTP APIs: integration subtypes with their parameters by Amazon's names, the region from the options, the queue URL or us-east-1 (listed)", () => {
    const result = importApi(structuredClone(sqsSubtypes));
    expect(result.definition!.routes["POST /orders"]!.integration).toEqual({
      type: "aws",
      subtype: "SQS-SendMessage",
      region: "us-east-1",
      credentials: { accessKeyId: "AWS_ACCESS_KEY_ID", secretAccessKey: "AWS_SECRET_ACCESS_KEY" },
      requestParameters: { QueueUrl: "$stageVariables.queueUrl", MessageBody: "$request.body", DelaySeconds: "0" },
      timeoutMs: 10000,
    });
    expect(result.definition!.routes["GET /orders/next"]!.integration).toMatchObject({ subtype: "SQS-ReceiveMessage", requestParameters: { QueueUrl: "$stageVariables.queueUrl", MaxNumberOfMessages: "1" } });
    expect(issuesOf(structuredClone(sqsSubtypes))).toContain(
      'warning paths["/orders"].post["x-amazon-apigateway-integration"].integrationSubtype: the API\'s region is not in the export: us-east-1 assumed (region in the mapping file, or a Region parameter, says otherwise)',
    );
    expect(checkImport(result).errors).toEqual([]);
    expect((importApi(structuredClone(sqsSubtypes), { region: "eu-west-3" }).definition!.routes["POST /orders"]!.integration as { region?: string }).region).toBe("eu-west-3");
    const literal = structuredClone(sqsSubtypes);
    literal.paths["/orders"].post["x-amazon-apigateway-integration"].requestParameters.QueueUrl = "https://sqs.ap-south-1.amazonaws.com/123456789012/orders";
    expect((importApi(literal).definition!.routes["POST /orders"]!.integration as { region?: string }).region).toBe("ap-south-1");
  });

  it("what cannot be carried: a subtype Portico lacks, a URI that is no AWS action or path; a subtype's templates are listed", () => {
    const http = (integration: Record<string, unknown>) => ({ openapi: "3.0.1", info: { title: "t" }, paths: { "/a": { post: op({ type: "aws_proxy", payloadFormatVersion: "1.0", ...integration }) } } });
    // (Each document's one route is left out, so the definition also has no routes: the first error is the import's.)
    expect(errorsOf(http({ integrationSubtype: "AppConfig-GetConfiguration", requestParameters: { Application: "a" } }))[0]).toBe(
      'paths["/a"].post["x-amazon-apigateway-integration"].integrationSubtype: the AppConfig-GetConfiguration integration subtype: not carried over (Portico has SQS-SendMessage, SQS-ReceiveMessage, SQS-DeleteMessage, StepFunctions-StartExecution, EventBridge-PutEvents, Kinesis-PutRecord)',
    );
    expect(issuesOf(http({ integrationSubtype: "SQS-DeleteMessage", requestParameters: { QueueUrl: "q", ReceiptHandle: "$request.body.h" }, requestTemplates: { "application/json": "{}" } }))).toContain(
      'warning paths["/a"].post["x-amazon-apigateway-integration"].requestTemplates: not carried over: a subtype maps its parameters only (Amazon\'s AWS_PROXY passes the service\'s answer through)',
    );
    expect(errorsOf(swagger({ "/a": { get: op({ type: "aws", httpMethod: "GET", uri: "arn:aws:apigateway:moon-1:s3:path/b/k" }) } }))[0]).toBe(
      'paths["/a"].get["x-amazon-apigateway-integration"].uri: "moon-1" is not an AWS region (us-east-1, eu-west-3 …): the integration is not carried over',
    );
  });

  it("private integrations: connectionType VPC_LINK and connectionId naming the binding (mapped, or named after the link and listed)", () => {
    const mapped = importApi(structuredClone(streamingPrivate), { vpcLinks: { abc123: "DEMO_BACKEND" } });
    expect(mapped.definition!.routes["GET /greeting"]!.integration).toEqual({
      type: "http_proxy",
      uri: "http://internal-nlb-1234567890.us-east-1.elb.amazonaws.com/greeting",
      method: "GET",
      connectionType: "VPC_LINK",
      connectionId: "DEMO_BACKEND",
    });
    expect(checkImport(mapped).errors).toEqual([]);
    const unmapped = importApi(structuredClone(streamingPrivate));
    expect(unmapped.definition!.routes["GET /greeting"]!.integration).toMatchObject({ connectionType: "VPC_LINK", connectionId: "ABC123" });
    expect(issuesOf(structuredClone(streamingPrivate))).toContain(
      'warning paths["/greeting"].get["x-amazon-apigateway-integration"].connectionId: VPC link abc123 is reached through the binding ABC123 (--vpc-link abc123=BINDING to choose another): declare it in wrangler.toml ([[services]] or [[vpc_services]])',
    );
    const fromVariable = swagger({ "/a": { get: op({ ...HTTP, connectionType: "VPC_LINK", connectionId: "${stageVariables.link}" }) } });
    expect(errorsOf(fromVariable)[0]).toMatch(/connectionId: the VPC link comes from a stage variable/);
    // An HTTP API names a load balancer listener by ARN: the binding decides, the URI becomes an origin (HTTP APIs send the request's path).
    const listener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/orders/50dc6c495c0c9188/0467ef3c8400ae65";
    const http = { openapi: "3.0.1", info: { title: "t" }, paths: { "/orders/{id}": { get: op({ type: "http_proxy", httpMethod: "GET", uri: listener, connectionType: "VPC_LINK", connectionId: "a1b2c3", payloadFormatVersion: "1.0" }) } } };
    const result = importApi(http, { vpcLinks: { a1b2c3: "ORDERS_API" } });
    expect(result.definition!.routes["GET /orders/{id}"]!.integration).toMatchObject({ uri: "http://orders-api.internal", connectionType: "VPC_LINK", connectionId: "ORDERS_API" });
    expect(checkImport(result).errors).toEqual([]);
  });

  it("responseTransferMode STREAM on proxy integrations (HTTP and Lambda, whose streaming URI is InvokeWithResponseStream's); refused where Amazon streams nothing", () => {
    const result = importApi(structuredClone(streamingPrivate), { lambda: { "chat-stream": "LAMBDA_ECHO" } });
    expect(result.definition!.routes["GET /ticks"]!.integration).toEqual({ type: "http_proxy", uri: "https://events.example.com/sse/4", method: "GET", timeoutMs: 60000, responseTransferMode: "STREAM" });
    expect(result.definition!.routes["GET /sse/{n}"]!.integration).toEqual({ type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0", timeoutMs: 120000, responseTransferMode: "STREAM" });
    expect(checkImport(result).errors).toEqual([]);
    const at = 'paths["/a"].get["x-amazon-apigateway-integration"].responseTransferMode';
    // (The one route is left out, so the definition also has no routes: the first error is the import's.)
    expect(errorsOf(swagger({ "/a": { get: op({ ...HTTP, type: "http", responseTransferMode: "STREAM" }) } }))[0]).toBe(
      `${at}: STREAM on a non-proxy HTTP integration: Amazon streams proxy integrations only (their templates need the whole response); the route is not carried over`,
    );
    const lambda = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Fn/invocations";
    expect(errorsOf(swagger({ "/a": { get: op({ type: "aws", httpMethod: "POST", uri: lambda, responseTransferMode: "STREAM" }) } }))[0]).toMatch(/STREAM on a non-proxy Lambda integration/);
    expect(errorsOf(swagger({ "/a": { get: op({ ...HTTP, responseTransferMode: "TRICKLE" }) } }))[0]).toBe(`${at}: unknown transfer mode "TRICKLE" (BUFFERED or STREAM)`);
  });
});
