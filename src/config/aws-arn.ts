/**
 * Amazon's AWS integration URIs and subtypes, as data: the ARN forms (`arn:aws:apigateway:{region}:{service}:action/
 * {Action}` and `…:path/{path}`, with an optional subdomain before the service: `{bucket}.s3`) parsed once when a
 * definition compiles, and each HTTP API integration subtype's parameters by Amazon's names (the integration subtype
 * reference), with the ones it requires.
 */
import type { AwsSubtype } from "./integration-types.ts";

export interface ParsedAwsUri {
  partition: "aws" | "aws-cn" | "aws-us-gov";
  region: string;
  service: string;
  subdomain: string | null;
  form: "action" | "path";
  /** The Action name, or the path after `path/` (a template). */
  target: string;
}

const ARN = /^arn:(aws|aws-cn|aws-us-gov):apigateway:([a-z0-9-]+):(?:([A-Za-z0-9.-]+)\.)?([a-z0-9-]+):(action|path)\/(.+)$/;
export const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]$/;
const ACTION = /^[A-Za-z][A-Za-z0-9]*$/;

/** The parts of an AWS integration URI, or why it is not one. */
export function parseAwsUri(uri: string): ParsedAwsUri | { error: string } {
  const m = ARN.exec(uri);
  if (!m) return { error: "must be arn:aws:apigateway:{region}:{service}:action/{Action} or arn:aws:apigateway:{region}:{service}:path/{path}" };
  const [, partition, region, subdomain, service, form, target] = m;
  if (!REGION.test(region!)) return { error: `"${region}" is not an AWS region (us-east-1, eu-west-3 …)` };
  if (form === "action" && !ACTION.test(target!)) return { error: `"${target}" is not an action name (SendMessage, PutItem …)` };
  if (service === "apigateway" || service === "execute-api") return { error: `${service} is not a service an AWS integration can call` };
  return { partition: partition as ParsedAwsUri["partition"], region: region!, service: service!, subdomain: subdomain ?? null, form: form as "action" | "path", target: target! };
}

/** How a subtype's parameter is put into the service's JSON request. */
export type ParameterKind = "string" | "integer" | "json" | "base64";

export interface SubtypeSpec {
  /** The signing name and the endpoint's first label. */
  service: string;
  /** The JSON protocol's X-Amz-Target and Content-Type. */
  target: string;
  contentType: string;
  /** Parameter → the request field it fills and how (Region is every subtype's, and fills nothing). */
  parameters: Record<string, { field: string; kind: ParameterKind }>;
  required: string[];
  /** The fields go into `Entries[0]` (EventBridge's batch shape) rather than at the top level. */
  entry?: boolean;
}

const SQS = { service: "sqs", contentType: "application/x-amz-json-1.0" } as const;
const field = (name: string, kind: ParameterKind = "string") => ({ field: name, kind });

/** Amazon's integration subtype reference, with the AWS JSON protocol request each one produces. */
export const SUBTYPES: Record<AwsSubtype, SubtypeSpec> = {
  "SQS-SendMessage": {
    ...SQS,
    target: "AmazonSQS.SendMessage",
    parameters: {
      QueueUrl: field("QueueUrl"),
      MessageBody: field("MessageBody"),
      DelaySeconds: field("DelaySeconds", "integer"),
      MessageAttributes: field("MessageAttributes", "json"),
      MessageDeduplicationId: field("MessageDeduplicationId"),
      MessageGroupId: field("MessageGroupId"),
      MessageSystemAttributes: field("MessageSystemAttributes", "json"),
    },
    required: ["QueueUrl", "MessageBody"],
  },
  "SQS-ReceiveMessage": {
    ...SQS,
    target: "AmazonSQS.ReceiveMessage",
    parameters: {
      QueueUrl: field("QueueUrl"),
      AttributeNames: field("AttributeNames", "json"),
      MaxNumberOfMessages: field("MaxNumberOfMessages", "integer"),
      MessageAttributeNames: field("MessageAttributeNames", "json"),
      ReceiveRequestAttemptId: field("ReceiveRequestAttemptId"),
      VisibilityTimeout: field("VisibilityTimeout", "integer"),
      WaitTimeSeconds: field("WaitTimeSeconds", "integer"),
    },
    required: ["QueueUrl"],
  },
  "SQS-DeleteMessage": {
    ...SQS,
    target: "AmazonSQS.DeleteMessage",
    parameters: { QueueUrl: field("QueueUrl"), ReceiptHandle: field("ReceiptHandle") },
    required: ["QueueUrl", "ReceiptHandle"],
  },
  "StepFunctions-StartExecution": {
    service: "states",
    target: "AWSStepFunctions.StartExecution",
    contentType: "application/x-amz-json-1.0",
    parameters: { StateMachineArn: field("stateMachineArn"), Name: field("name"), Input: field("input") },
    required: ["StateMachineArn"],
  },
  "EventBridge-PutEvents": {
    service: "events",
    target: "AWSEvents.PutEvents",
    contentType: "application/x-amz-json-1.1",
    parameters: {
      Detail: field("Detail"),
      DetailType: field("DetailType"),
      Source: field("Source"),
      Time: field("Time"),
      EventBusName: field("EventBusName"),
      Resources: field("Resources", "json"),
      TraceHeader: field("TraceHeader"),
    },
    required: ["Detail", "DetailType", "Source"],
    entry: true,
  },
  "Kinesis-PutRecord": {
    service: "kinesis",
    target: "Kinesis_20131202.PutRecord",
    contentType: "application/x-amz-json-1.1",
    parameters: {
      StreamName: field("StreamName"),
      Data: field("Data", "base64"),
      PartitionKey: field("PartitionKey"),
      SequenceNumberForOrdering: field("SequenceNumberForOrdering"),
      ExplicitHashKey: field("ExplicitHashKey"),
    },
    required: ["StreamName", "Data", "PartitionKey"],
  },
};

/**
 * JSON-protocol services and their X-Amz-Target prefix and Content-Type, for `action/{Action}` URIs: the action
 * becomes `X-Amz-Target: {prefix}.{Action}`. Other services speak the query protocol: `?Action={Action}`.
 */
export const JSON_PROTOCOL: Record<string, { prefix: string; contentType: string }> = {
  dynamodb: { prefix: "DynamoDB_20120810", contentType: "application/x-amz-json-1.0" },
  states: { prefix: "AWSStepFunctions", contentType: "application/x-amz-json-1.0" },
  kinesis: { prefix: "Kinesis_20131202", contentType: "application/x-amz-json-1.1" },
  events: { prefix: "AWSEvents", contentType: "application/x-amz-json-1.1" },
  firehose: { prefix: "Firehose_20150804", contentType: "application/x-amz-json-1.1" },
  logs: { prefix: "Logs_20140328", contentType: "application/x-amz-json-1.1" },
};
