/**
 * What each WebSocket carries through hibernation (`serializeAttachment`; the runtime refuses more than 16 KiB,
 * and an identity that does not fit goes to the hub's `identities` table): everything a message
 * needs, so a hub woken by a message reads nothing per connection. Two namespaces, as partyserver keeps them:
 * `portico` holds the gateway's own facts about the connection; `app` holds what the API's authorizer and
 * integrations decided (identity, groups), which only they change.
 */
import type { Identity } from "../wire/identity.ts";

export const ATTACHMENT_FORMAT = 1;

export interface PorticoFacts {
  id: string;
  api: string;
  stage: string;
  /** The bundle version the connection opened with: every message of the connection is served by it. */
  version: string;
  canary: boolean;
  /** Stage variables a canary overrides (the rest come from the version's bundle). */
  variableOverrides: Record<string, string> | null;
  connectedAt: number;
  /** Written at most once a second (the hub keeps the exact time in memory while it is awake). */
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  /** True once `$disconnect` was delivered (or is being): it is delivered at most once. */
  disconnected: boolean;
  /** True when the identity was too large for the attachment and lives in the hub's `identities` table. */
  identityStored: boolean;
}

export interface AppState {
  identity: Identity | null;
  apiKeyId: string | null;
  groups: string[];
}

export interface ConnectionAttachment {
  f: typeof ATTACHMENT_FORMAT;
  portico: PorticoFacts;
  app: AppState;
}

/** What `@connections` GET answers (Amazon's GetConnection), plus Portico's groups and version. */
export interface ConnectionInfo {
  connectionId: string;
  connectedAt: string;
  lastActiveAt: string;
  identity: { sourceIp: string; userAgent: string };
  groups: string[];
  version: string;
  principalId: string | null;
}

export function connectionInfo(a: ConnectionAttachment, lastActiveAt = a.portico.lastActiveAt): ConnectionInfo {
  return {
    connectionId: a.portico.id,
    connectedAt: new Date(a.portico.connectedAt).toISOString(),
    lastActiveAt: new Date(lastActiveAt).toISOString(),
    identity: { sourceIp: a.portico.sourceIp, userAgent: a.portico.userAgent },
    groups: a.app.groups,
    version: a.portico.version,
    principalId: a.app.identity?.principalId || null,
  };
}
