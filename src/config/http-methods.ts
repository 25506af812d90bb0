/** The HTTP methods a route key, an integration or a cache setting may name (`ANY` only in route keys). */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type RouteMethod = HttpMethod | "ANY";
