/**
 * The benchmark's upstream in its own process, so it never shares an event loop with the load generator:
 * the test suite's real local backend (`/hello` answers 200 "hello"). It counts every request it gets by path, and
 * `/__hits?path=/hello` answers `{"count": n}` (not itself counted): the cache section reads it before and after
 * its read-heavy run to know how many requests reached the backend. Prints `{"url": ...}` once listening and stops
 * when its parent goes away.
 */
import { startBackend } from "../test/support/backend-server.ts";

const backend = await startBackend();
process.stdout.write(JSON.stringify({ url: backend.url }) + "\n");
const stop = () => void backend.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop); // the parent exited or closed our stdin
process.stdin.resume();
