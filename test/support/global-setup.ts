/** Vitest global setup: one real local backend for the whole run; tests reach it at inject("backendUrl"). */
import type { TestProject } from "vitest/node";
import { startBackend } from "./backend-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    backendUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const backend = await startBackend();
  project.provide("backendUrl", backend.url);
  return () => backend.close();
}
