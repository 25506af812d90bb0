/**
 * The definition schema's WebSocket section: hubs, limits and the `@connections` API.
 */
import { NAME, type SchemaNode } from "./common.ts";

/** `#/$defs/websocket`: WebSocket APIs: hubs, limits and the `@connections` API (`websocket`). */
export const websocketSchema: SchemaNode = {
  type: "object",
  description: "WebSocket APIs: how connections are held (ConnectionHub Durable Objects), their limits, and who may use `@connections`.",
  additionalProperties: false,
  properties: {
    hubs: {
      type: "integer",
      minimum: 1,
      maximum: 1024,
      description:
        "ConnectionHub objects per stage; new connections are spread over them at random and each connection id names " +
        "its hub. More hubs: more messages per second per stage; a stage broadcast calls every hub. Default 16.",
    },
    limits: { $ref: "#/$defs/websocketLimits" },
    management: {
      type: "object",
      description:
        "The `@connections` management API (`POST|GET|DELETE /<stage>/@connections/<id>`, SigV4-signed as on AWS). " +
        "Without it `@connections` answers 403; the admin API offers the same operations with the admin token.",
      required: ["authorizer"],
      additionalProperties: false,
      properties: {
        authorizer: {
          type: "string",
          pattern: NAME,
          description: "A `sigv4` authorizer in `authorizers`: callers sign with one of its access keys (service `execute-api`).",
        },
      },
    },
  },
};

/** `#/$defs/websocketLimits`: WebSocket limits, Amazon's defaults. */
export const websocketLimitsSchema: SchemaNode = {
  type: "object",
  description: "WebSocket limits. Defaults are Amazon's where Amazon has one; going over closes the connection or refuses, with Amazon's codes.",
  additionalProperties: false,
  properties: {
    maxMessageBytes: {
      type: "integer",
      minimum: 1,
      maximum: 1048576,
      description: "Largest message, either way; larger → close 1009 (from a client) or 413 (to @connections). Default 131072 (128 KB, Amazon's).",
    },
    maxFrameBytes: {
      type: "integer",
      minimum: 1,
      maximum: 1048576,
      description:
        "Amazon's 32 KB frame limit. Workers hands the hub whole messages, never frames, so Portico applies it to the " +
        "message: a message over it is closed with 1009, which is what one-frame clients (every browser) see on " +
        "Amazon. Raise it to `maxMessageBytes` to accept larger messages. Default 32768.",
    },
    idleTimeoutSeconds: { type: "integer", minimum: 10, maximum: 86400, description: "Close (1001) a connection that sent no message for this long. Default 600 (Amazon's 10 minutes)." },
    maxConnectionSeconds: { type: "integer", minimum: 10, maximum: 604800, description: "Close (1001) any connection this old. Default 7200 (Amazon's 2 hours)." },
    newConnectionsPerSecond: {
      type: "number",
      minimum: 0,
      maximum: 1000000,
      description: "New connections per second per stage, as the `$connect` route's throttle (429 on the upgrade); 0: no limit. Default 500 (Amazon's account default).",
    },
    messagesPerSecond: {
      type: "number",
      minimum: 0,
      maximum: 100000,
      description: "Messages per second per connection (a token bucket in the hub); over it the client gets a 429-style error frame and the message is dropped. 0: no limit. Default 100.",
    },
    messageBurst: { type: "integer", minimum: 1, maximum: 100000, description: "The per-connection bucket's size. Default 200." },
    maxGroupsPerConnection: { type: "integer", minimum: 0, maximum: 64, description: "Groups one connection may be in. Default 16." },
  },
};
