/** Values the global setup (test/support/global-setup.ts) provides to tests. */
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    backendUrl: string;
  }
}
