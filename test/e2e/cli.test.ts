/**
 * The `portico` command as a user runs it: a child process, its output streams and its exit code. `portico dev`
 * runs in a private checkout (support/checkout.ts): it rewrites the embedded bundle, which the `worker` project
 * reads while it runs beside this file.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, isAlive, isolatedCheckout, processGroup, runCli, type Checkout } from "./support/checkout.ts";

const CLI = join(REPO_ROOT, "cli", "portico.mjs");
const portico = (...args: string[]) => runCli(CLI, args, REPO_ROOT);

let files: string;
beforeAll(() => {
  files = mkdtempSync(join(tmpdir(), "portico-cli-"));
});
afterAll(() => rmSync(files, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(files, name);
  writeFileSync(path, text);
  return path;
}

describe("portico validate", () => {
  it("prints every error as `field.path: message` on stderr, without a stack, and exits 1", async () => {
    const bad = file(
      "bad.yaml",
      [
        "name: Pet Store",
        "stages:",
        "  prod: {}",
        "domains:",
        "  - { host: api.example.com, stage: staging }",
        "models:",
        "  Pet: { type: object }",
        "routes:",
        "  GET /pets:",
        "    validate: { body: Nope }",
        '    integration: { type: http_proxy, uri: "ftp://pets.example.com/pets" }',
        "  GET /pets/{id}:",
        "    integration: { type: mock, statuz: 200 }",
      ].join("\n"),
    );
    const { status, stdout, stderr } = await portico("validate", bad);
    expect(status).toBe(1);
    expect(stdout).toBe("");
    const [summary, ...lines] = stderr.trimEnd().split("\n");
    expect(summary).toBe(`${bad}: 5 errors`);
    // One line per error, in document order: the field's path, a colon, what is wrong with it.
    const expected: [string, RegExp][] = [
      ["name", /"Pet Store" does not match/],
      ["domains[0].stage", /unknown stage "staging"/],
      ['routes["GET /pets"].validate.body', /unknown model "Nope"/],
      ['routes["GET /pets"].integration.uri', /http:\/\/ or https:\/\//],
      ['routes["GET /pets/{id}"].integration.statuz', /unknown field.*"status"/],
    ];
    expect(lines).toHaveLength(expected.length);
    lines.forEach((line, i) => {
      const [path, message] = expected[i]!;
      expect(line.trim().startsWith(`${path}: `), line).toBe(true);
      expect(line.trim().slice(path.length + 2)).toMatch(message);
    });
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr).not.toMatch(/Error\b/);
  });

  it("reports a YAML syntax error with its place, and exits 1", async () => {
    const { status, stderr } = await portico("validate", file("broken.yaml", "name: x\nroutes: {\n"));
    expect(status).toBe(1);
    expect(stderr).toMatch(/line \d+/);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it("exits 0 on a valid file", async () => {
    const example = join(REPO_ROOT, "examples", "petstore", "api.yaml");
    const { status, stdout, stderr } = await portico("validate", example);
    expect(status).toBe(0);
    expect(stdout.trim()).toBe(`${example}: valid`);
    expect(stderr).toBe("");
  });

  it("shows warnings on stderr without failing: a simple-format authorizer whose cached yes is shared by every route", async () => {
    const shared = file(
      "shared.yaml",
      [
        "name: shared",
        "stages: { prod: {} }",
        "authorizers:",
        "  gate: { type: custom, mode: request, identitySource: $request.header.x-token, url: https://auth.example.com/, responseFormat: simple, resultCacheScope: shared }",
        "routes:",
        "  GET /a: { authorizer: gate, integration: { type: mock } }",
      ].join("\n"),
    );
    const { status, stdout, stderr } = await portico("validate", shared);
    expect(status).toBe(0);
    expect(stdout.trim()).toBe(`${shared}: valid`);
    const [summary, line] = stderr.trimEnd().split("\n");
    expect(summary).toBe(`${shared}: 1 warning`);
    expect(line!.trim()).toMatch(/^authorizers\.gate\.resultCacheScope: shared: one cached yes opens every route/);
    const json = await portico("validate", shared, "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, errors: [], warnings: [{ path: ["authorizers", "gate", "resultCacheScope"] }] });
  });

  it("exits 2 when the file cannot be read", async () => {
    const missing = join(files, "missing.yaml");
    const { status, stderr } = await portico("validate", missing);
    expect(status).toBe(2);
    expect(stderr.trim()).toBe(`cannot read ${missing}: ENOENT`);
  });

  it("exits 2 on an unknown command, with the usage", async () => {
    const { status, stderr } = await portico("frobnicate");
    expect(status).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
    expect(stderr).toContain("usage: portico <command>");
  });
});

describe("portico dev", () => {
  let checkout: Checkout;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    checkout = isolatedCheckout();
  });
  afterAll(() => {
    // Only if a test failed half-way: nothing of ours may outlive the run.
    if (child?.pid && processGroup(child.pid).length) process.kill(-child.pid, "SIGKILL");
    checkout?.dispose();
  });

  it("serves a custom definition, and leaves no process behind when its process group is stopped", async () => {
    const definition = file(
      "dev.yaml",
      [
        "name: e2e-dev",
        "stages:",
        "  qa: {}",
        "routes:",
        "  GET /ping:",
        "    integration: { type: mock, status: 202, headers: { x-served-by: e2e-dev }, body: { pong: true } }",
      ].join("\n"),
    );
    const [port, inspectorPort] = [await freePort(), await freePort()];
    child = spawn(
      process.execPath,
      [join(checkout.dir, "cli", "portico.mjs"), "dev", definition, "--port", String(port), "--", "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort)],
      { cwd: checkout.dir, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" } },
    );
    const pgid = child.pid!;
    const output = collect(child);

    const ready = await output.waitFor(/Ready on (http:\/\/\S+)/, 60_000);
    expect(ready[1]).toBe(`http://127.0.0.1:${port}`);
    expect(output.text()).toContain(`portico: serving ${definition} (1 routes`);

    const res = await fetch(`http://127.0.0.1:${port}/qa/ping`);
    expect(res.status).toBe(202);
    expect(res.headers.get("x-served-by")).toBe("e2e-dev");
    expect(await res.json()).toEqual({ pong: true });
    // The example API is not what is served.
    expect((await fetch(`http://127.0.0.1:${port}/prod/pets`)).status).toBe(403);

    const running = processGroup(pgid);
    const workerd = running.filter((p) => /\bworkerd\b/.test(p.command));
    expect(workerd.length, JSON.stringify(running)).toBeGreaterThan(0);

    const exited = new Promise((resolve) => child!.once("exit", resolve));
    process.kill(-pgid, "SIGTERM");
    await exited;
    await until(() => processGroup(pgid).length === 0, 15_000, () => `still running: ${JSON.stringify(processGroup(pgid))}`);
    for (const p of running) expect(isAlive(p.pid), `${p.pid} ${p.command}`).toBe(false);
    expect(await portIsOpen(port)).toBe(false);
  }, 120_000);
});

function collect(proc: ChildProcess) {
  let text = "";
  const listeners = new Set<() => void>();
  const add = (chunk: Buffer) => {
    text += chunk.toString("utf8");
    for (const l of listeners) l();
  };
  proc.stdout!.on("data", add);
  proc.stderr!.on("data", add);
  return {
    text: () => text,
    waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(text);
          if (m) {
            cleanup();
            resolve(m);
          }
        };
        const onExit = (code: number | null) => {
          cleanup();
          reject(new Error(`portico dev exited (${code}) before ${pattern}:\n${text}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} in ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          proc.off("exit", onExit);
        };
        listeners.add(check);
        proc.on("exit", onExit);
        check();
      });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function until(done: () => boolean, timeoutMs: number, explain: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(explain());
    await new Promise((r) => setTimeout(r, 100));
  }
}
