import type { Flavor } from "../config/types.ts";

/** The body of `GET /_portico/server` (admin/server.ts), shared with the CLI and the dashboard, which read it. */
export interface ServerFacts {
  /** The API served on the Worker's own host names (`/<stage>/...`). */
  defaultApi: string;
  embedded: EmbeddedFacts;
  /** APIs embedded beside the default one (`--with`, e.g. the example's chat), served on their domains only. */
  others?: EmbeddedFacts[];
  /** Set in a `portico dev` session only: the definition file it serves, and the stages it serves published. */
  dev: { file: string; published: string[] | "all" } | null;
}

/** One embedded bundle: its API, flavor, version, stages and custom-domain mappings. */
export interface EmbeddedFacts {
  api: string;
  /** `rest`, `http` or `websocket` (the dashboard asks a WebSocket API's hubs for live connections, and no other's). */
  flavor: Flavor;
  version: string;
  stages: string[];
  domains: { host: string; basePath: string; stage: string }[];
}
