/**
 * `portico dev`'s watcher: the definition files, `.dev.vars` and the wrangler config, watched through their
 * directories and debounced, each change handled one at a time by the command's callbacks (commands/dev.ts).
 */
import { dirname, resolve } from "node:path";
import { watch } from "chokidar";

/** The session's watched files and what to do when one changes. */
export interface Watched {
  /** FILE and the --with files: a change to definitions[i] calls onDefinition(i). */
  definitions: string[];
  devVars: string;
  config: string;
  onDefinition(index: number): Promise<void>;
  onEnvironment(what: "devVars" | "config"): Promise<void>;
}

/**
 * Watches the directories that hold the watched files, not the files: an editor that saves by writing a temp
 * file and renaming it over the original (vim, JetBrains) replaces the file a file watch would be following.
 * Events are debounced (100 ms) and handled one at a time.
 */
export function watchSession(w: Watched) {
  // What each watched path is: a definition (by its index), .dev.vars or the wrangler config. Debounced per path.
  type Kind = { definition: number } | "devVars" | "config";
  const kinds = new Map<string, Kind>([
    [w.devVars, "devVars"],
    [w.config, "config"],
  ]);
  w.definitions.forEach((path, i) => kinds.set(path, { definition: i }));
  const dirs = new Set([...kinds.keys()].map((p) => dirname(p)));
  const timers = new Map<string, NodeJS.Timeout>();
  let queue = Promise.resolve();
  const watcher = watch([...dirs], { ignoreInitial: true, depth: 0, ignored: (path: string) => !dirs.has(path) && !kinds.has(path) });
  watcher.on("all", (_event, path) => {
    const at = resolve(path);
    const kind = kinds.get(at);
    if (!kind) return;
    clearTimeout(timers.get(at));
    timers.set(at, setTimeout(() => {
      queue = queue.then(() => (typeof kind === "object" ? w.onDefinition(kind.definition) : w.onEnvironment(kind))).catch((err: unknown) => console.error(`portico dev: ${(err as Error).message}`));
    }, 100));
  });
  watcher.on("error", (err) => console.error(`portico dev: watching stopped working: ${(err as Error).message}`));
  return watcher;
}
