/**
 * Bundles by content id. KV `BUNDLES` holds each bundle's canonical JSON under `bundle:<id>`, written once and
 * never changed; the API's Registry keeps a copy, read when KV has not caught up yet (KV takes up to 60 s to
 * show a new key everywhere). Whatever is read must hash to its id, or it is refused.
 */
import { BUNDLE_FORMAT, sha256Hex, type Bundle } from "../config/bundle.ts";
import { upgradeBundle } from "../config/bundle-upgrade.ts";
import type { Env } from "../env.ts";
import { readBundleText } from "./registry-client.ts";

export const bundleKey = (id: string) => `bundle:${id}`;

/** Writes a bundle to KV unless it is already there (bundles are immutable: a second write would change nothing). */
export async function storeBundle(env: Env, id: string, canonicalText: string): Promise<void> {
  if ((await env.BUNDLES.get(bundleKey(id))) === null) await env.BUNDLES.put(bundleKey(id), canonicalText);
}

export type LoadResult = { ok: true; bundle: Bundle } | { ok: false; reason: string };

/** Parses and checks a bundle's text against its id. */
export async function verifyBundleText(id: string, text: string): Promise<LoadResult> {
  if ((await sha256Hex(text)) !== id) return { ok: false, reason: "content does not hash to its id" };
  let bundle: Bundle;
  try {
    bundle = JSON.parse(text) as Bundle;
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (!bundle || bundle.format !== BUNDLE_FORMAT || !Array.isArray(bundle.routes) || !bundle.stages || !bundle.settings)
    return { ok: false, reason: `not a format ${BUNDLE_FORMAT} bundle` };
  return { ok: true, bundle: upgradeBundle(bundle) };
}

/** Reads a bundle from KV, falling back to the Registry's copy when KV misses, fails or holds something refused. */
export async function loadBundle(env: Env, api: string, id: string): Promise<LoadResult> {
  let fromKv: string | null = null;
  try {
    fromKv = await env.BUNDLES.get(bundleKey(id));
  } catch (err) {
    // A KV error is read as a miss: the Registry's copy is as good (it is checked against the id the same way).
    console.error(JSON.stringify({ level: "error", event: "bundle-kv-error", api, id, reason: (err as Error).message }));
  }
  if (fromKv !== null) {
    const checked = await verifyBundleText(id, fromKv);
    if (checked.ok) return checked;
    console.error(JSON.stringify({ level: "error", event: "bundle-refused", source: "kv", api, id, reason: checked.reason }));
  }
  const fromRegistry = await readBundleText(env, api, id);
  if (fromRegistry === null) return { ok: false, reason: "not found" };
  const checked = await verifyBundleText(id, fromRegistry);
  if (!checked.ok) console.error(JSON.stringify({ level: "error", event: "bundle-refused", source: "registry", api, id, reason: checked.reason }));
  return checked;
}
