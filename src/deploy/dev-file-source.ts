/**
 * `portico dev FILE` serves FILE. The definition being edited is compiled into the embedded bundle, and in a
 * dev session its stages are served from it even when the local Registry holds a published version of them (a
 * local `portico deploy` from an earlier session, say): otherwise a save would change nothing the user can see.
 * Only the stages the user names with `portico dev --published` defer to the Registry, exactly as a deployed
 * Worker does (published version, else the embedded bundle).
 *
 * Dev-only, and kept apart from the Registry source on purpose: it is switched on by the `PORTICO_DEV_FILE`
 * var, which `portico dev` sets in the wrangler config it generates for its session and nothing else sets.
 * A deployed Worker never has it, so what it serves and how it fails are the Registry source's rules alone.
 */
import type { Flavor } from "../config/types.ts";
import type { Env } from "../env.ts";
import type { CallerFacts, ConfigSource, DomainTarget, EmbeddedConfigSource, StageResolution } from "./config-source.ts";

/** What a dev session serves from the file: every stage but the ones the user chose to serve published. */
export interface DevFileOptions {
  /** The definition file, as `portico dev` was given it (for messages only). */
  file: string;
  /** Stages that serve their published version; "all" for every stage. */
  published: ReadonlySet<string> | "all";
}

/** The dev session's options from its vars, or null outside `portico dev`. */
export function devFileOptions(env: Pick<Env, "PORTICO_DEV_FILE" | "PORTICO_DEV_PUBLISHED">): DevFileOptions | null {
  const file = env.PORTICO_DEV_FILE;
  if (typeof file !== "string" || !file) return null;
  const list = typeof env.PORTICO_DEV_PUBLISHED === "string" ? env.PORTICO_DEV_PUBLISHED.split(",").map((s) => s.trim()).filter(Boolean) : [];
  return { file, published: list.includes("*") ? "all" : new Set(list) };
}

export class DevFileConfigSource implements ConfigSource {
  readonly #inner: ConfigSource;
  readonly #file: EmbeddedConfigSource;
  readonly #published: DevFileOptions["published"];

  constructor(inner: ConfigSource, file: EmbeddedConfigSource, options: DevFileOptions) {
    this.#inner = inner;
    this.#file = file;
    this.#published = options.published;
  }

  /** True when `stage` of the file's API is served from the file. */
  servesFromFile(stage: string): boolean {
    return this.#published !== "all" && !this.#published.has(stage);
  }

  defaultApi(): string {
    return this.#inner.defaultApi();
  }

  /** The file's own domain mappings win for the stages it serves; other hosts are looked up as deployed. */
  domainTargets(host: string): DomainTarget[] | Promise<DomainTarget[]> {
    const mine = this.#file.domainTargets(host).filter((t) => this.servesFromFile(t.stage));
    return mine.length ? mine : this.#inner.domainTargets(host);
  }

  /** The file's routing rules for the hosts it routes (unless every stage is served as deployed); others as deployed. */
  domainRouting(host: string) {
    return (this.#published !== "all" ? this.#file.domainRouting(host) : undefined) ?? this.#inner.domainRouting?.(host);
  }

  /** The file's flavour for its own API; other APIs as deployed. */
  flavorOf(api: string): Flavor | undefined {
    return this.#file.flavorOf(api) ?? this.#inner.flavorOf?.(api);
  }

  resolveStage(api: string, stage: string, caller: CallerFacts): StageResolution | undefined | Promise<StageResolution | undefined> {
    if (this.servesFromFile(stage)) {
      const fromFile = this.#file.resolveStage(api, stage);
      if (fromFile) return fromFile;
    }
    return this.#inner.resolveStage(api, stage, caller);
  }
}
