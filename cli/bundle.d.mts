/** Types for bundle.mjs (plain JavaScript, so the launcher runs before anything is built). */
export declare const DIST: string;
/** The CLI bundle's file URL, built first when it is missing or older than any of its inputs. */
export declare function ensureBuilt(): Promise<string>;
export declare function buildCli(): Promise<void>;
