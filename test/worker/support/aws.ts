/**
 * The local AWS-compatible server from inside workerd: its URL, signed calls of the tests' own (aws4fetch, with the
 * test credentials — creating a queue, storing an object) and its unsigned inspection reads (what a queue holds,
 * every call and whether its signature verified).
 */
import { AwsClient } from "aws4fetch";
import { inject } from "vitest";
import { AWS_TEST_ACCESS_KEY_ID, AWS_TEST_SECRET_ACCESS_KEY } from "../../support/aws/credentials.ts";

export const awsUrl = (): string => inject("awsUrl");

/** The definition's credentials: the secrets vitest.config.ts binds. */
export const TEST_CREDENTIALS = { accessKeyId: "AWS_TEST_ACCESS_KEY_ID", secretAccessKey: "AWS_TEST_SECRET_ACCESS_KEY" };

const client = (service: string) => new AwsClient({ accessKeyId: AWS_TEST_ACCESS_KEY_ID, secretAccessKey: AWS_TEST_SECRET_ACCESS_KEY, service, region: "us-east-1", retries: 0 });

/** Creates a queue (SQS CreateQueue, signed) and returns its URL. */
export async function createQueue(name: string): Promise<string> {
  const res = await client("sqs").fetch(`${awsUrl()}/`, {
    method: "POST",
    headers: { "x-amz-target": "AmazonSQS.CreateQueue", "content-type": "application/x-amz-json-1.0" },
    body: JSON.stringify({ QueueName: name }),
  });
  if (res.status !== 200) throw new Error(`CreateQueue ${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { QueueUrl: string }).QueueUrl;
}

/** Stores an object (S3 PutObject, path style, signed). */
export async function putObject(bucket: string, key: string, body: Uint8Array | string, contentType = "binary/octet-stream"): Promise<void> {
  const res = await client("s3").fetch(`${awsUrl()}/${bucket}/${key}`, { method: "PUT", headers: { "content-type": contentType }, body });
  if (res.status !== 200) throw new Error(`PutObject ${bucket}/${key}: ${res.status} ${await res.text()}`);
}

export interface AwsCall {
  at: number;
  service: string | null;
  action: string;
  method: string;
  path: string;
  refused: string | null;
  traceparent: string | null;
  xAmznTraceId: string | null;
  signedHeaders: string[];
}

export async function inspectAws<T>(what: string): Promise<T> {
  return (await (await fetch(`${awsUrl()}/__inspect/${what}`)).json()) as T;
}

/** The messages waiting in a queue. */
export const queueMessages = (queue: string) => inspectAws<{ id: string; body: string; md5: string }[] | null>(`sqs?queue=${encodeURIComponent(queue)}`);

/** Every call the server has had since `since` (ms), with whether its signature verified. */
export async function awsCallsSince(since: number): Promise<AwsCall[]> {
  return (await inspectAws<AwsCall[]>("calls")).filter((c) => c.at >= since);
}
