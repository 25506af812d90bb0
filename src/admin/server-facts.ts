/** The body of `GET /_portico/server` (admin/server.ts), shared with the CLI, which reads it. */
export interface ServerFacts {
  /** The API served on the Worker's own host names (`/<stage>/...`). */
  defaultApi: string;
  embedded: { api: string; version: string; stages: string[]; domains: { host: string; basePath: string; stage: string }[] };
  /** Set in a `portico dev` session only: the definition file it serves, and the stages it serves published. */
  dev: { file: string; published: string[] | "all" } | null;
}
