/**
 * What every section of the definition's schema shares: the node type, name patterns, string maps.
 */

/** A JSON Schema node, as plain data. */
export type SchemaNode = Record<string, unknown>;

/** A name of a stage, authorizer or usage plan. */
export const NAME = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$";
/** A custom domain's host, optionally with a one-label `*.` wildcard. */
export const DOMAIN_HOST = "^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$";
/** An object of strings (headers, variables), each value bounded. */
export const stringMap = (description: string, valueDescription: string, maxLength = 2048): SchemaNode => ({
  type: "object",
  description,
  additionalProperties: { type: "string", maxLength, description: valueDescription },
});
