/**
 * Vitest global setup: one real local backend and one local AWS-compatible server (test/support/aws-server.ts) for
 * the whole run; tests reach them at inject("backendUrl") and inject("awsUrl").
 */
import type { TestProject } from "vitest/node";
import { startAwsServer } from "./aws-server.ts";
import { startBackend } from "./backend-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    backendUrl: string;
    awsUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const [backend, aws] = await Promise.all([startBackend(), startAwsServer()]);
  project.provide("backendUrl", backend.url);
  project.provide("awsUrl", aws.url);
  return async () => {
    await Promise.all([backend.close(), aws.close()]);
  };
}
