/**
 * The local loop as a newcomer finds it, with the real binary against the real dev server: `portico init` makes
 * a project; its own `npm test` passes; `npm run dev` serves api.yaml and keeps serving what is saved, whatever
 * the editor's save style (an atomic rename twice in a row included), prints each reload or each error with its
 * field path, picks up `.dev.vars` without a restart, refuses deploys it would not serve and says why, serves the
 * file over anything published (across restarts) unless told `--published`, and `--fresh` starts empty. A second
 * `portico dev` and `portico embed` in the same project leave a running server alone. Stopping it leaves nothing.
 *
 * The project's node_modules is what `npm install` would make of `"portico": "file:<this checkout>"` (a link),
 * made by hand: installing wrangler from the registry is not something a test may do.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "./support/checkout.ts";
import { startDev, type DevServer } from "./support/dev-server.ts";
import { eventually } from "./support/processes.ts";

const CLI = join(REPO_ROOT, "cli", "portico.mjs");
const TOKEN = "dev-admin-token"; // what .dev.vars.example sets
let root: string;
let project: string;
let server: DevServer | undefined;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "portico-dev-"));
  project = join(root, "shop");
});
afterAll(async () => {
  await server?.dispose();
  rmSync(root, { recursive: true, force: true });
});

const portico = (...args: string[]) => runCli(CLI, args, project);
const admin = (...args: string[]) => portico(...args, "--url", server!.url, "--token", TOKEN);
const get = async (path: string) => {
  const res = await fetch(server!.url + path);
  return { status: res.status, version: res.headers.get("x-portico-version"), body: await res.text() };
};
const hello = (message: string) =>
  `name: shop\nstages:\n  dev: {}\n  prod: {}\nroutes:\n  GET /hello:\n    integration: { type: mock, body: { message: "${message}" } }\n`;

/** Saves api.yaml as editors do. */
const save = {
  /** Write a temp file, rename it over the definition (vim with backupcopy=no, JetBrains' safe write). */
  atomicRename(text: string) {
    const temp = join(project, `.api.yaml.${Date.now()}.tmp`);
    writeFileSync(temp, text);
    renameSync(temp, join(project, "api.yaml"));
  },
  /** Truncate and write in place (VS Code, nano). */
  inPlace(text: string) {
    writeFileSync(join(project, "api.yaml"), text);
  },
  /** Move the original to a backup, write a new file (vim's default backup). */
  backupThenWrite(text: string) {
    renameSync(join(project, "api.yaml"), join(project, "api.yaml~"));
    writeFileSync(join(project, "api.yaml"), text);
  },
};

async function servesMessage(path: string, message: string) {
  return eventually(`${path} says ${message}`, () => get(path), (r) => r.status === 200 && JSON.parse(r.body).message === message);
}

describe("portico init", () => {
  it("scaffolds a project whose definition validates and whose own npm test passes", async () => {
    const init = await runCli(CLI, ["init", "shop", "--portico", `file:${REPO_ROOT}`], root);
    expect(init.status, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/^created the shop API in shop: api\.yaml, wrangler\.toml, \.dev\.vars\.example, package\.json, \.gitignore, test\/api\.test\.mjs/);
    expect(init.stdout).toContain("npm run dev");

    // What `npm install` makes of a file: dependency: a link (and the bin).
    mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
    symlinkSync(REPO_ROOT, join(project, "node_modules", "portico"), "dir");
    symlinkSync(join(REPO_ROOT, "cli", "portico.mjs"), join(project, "node_modules", ".bin", "portico"));

    const api = readFileSync(join(project, "api.yaml"), "utf8");
    const schema = /^# yaml-language-server: \$schema=(\S+)$/m.exec(api.split("\n")[0]!);
    expect(schema, "the schema comment is the first line").not.toBeNull();
    expect(existsSync(join(project, schema![1]!)), "the schema it names exists once installed").toBe(true);
    const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { scripts: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.scripts).toMatchObject({ dev: "portico dev api.yaml", test: "node --test" });
    expect(pkg.devDependencies.portico).toBe(`file:${REPO_ROOT}`);
    expect(readFileSync(join(project, ".dev.vars.example"), "utf8")).toContain("ADMIN_TOKEN=");

    // The gateway's wrangler config: Portico's bindings, Durable Objects and migrations; main in node_modules.
    type Toml = { main: string; kv_namespaces: unknown[]; durable_objects: unknown; migrations: unknown[]; services?: unknown[]; alias: unknown };
    const mine = parseToml(readFileSync(join(project, "wrangler.toml"), "utf8")) as unknown as Toml;
    const ours = parseToml(readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8")) as unknown as Toml;
    expect(existsSync(join(project, mine.main))).toBe(true);
    expect([mine.kv_namespaces, mine.durable_objects, mine.migrations, mine.alias]).toEqual([ours.kv_namespaces, ours.durable_objects, ours.migrations, ours.alias]);
    expect(mine.services).toBeUndefined();

    const again = await runCli(CLI, ["init", "shop"], root);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^shop already has api\.yaml, wrangler\.toml, .*: nothing written\n$/);

    expect(await portico("validate", "api.yaml")).toMatchObject({ status: 0, stdout: "api.yaml: valid\n" });

    // The project's own test: it starts `portico dev api.yaml` itself, checks its routes and stops it.
    const test = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn("npm", ["test"], { cwd: project, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c));
      child.stderr.on("data", (c: Buffer) => (out += c));
      child.on("close", (code) => resolve({ code, out }));
    });
    expect(test.code, test.out).toBe(0);
    expect(test.out).toMatch(/^# pass 3$/m);
    expect(test.out).toMatch(/^# fail 0$/m);
    expect(readdirSync(project).filter((n) => n.startsWith(".portico-")), "its dev session cleaned up").toEqual([]);
  }, 180_000);
});

describe("npm run dev in the project", () => {
  it("says which source serves each stage, and serves the file", async () => {
    server = await startDev(project, ["npm", "run", "dev", "--", "--published", "prod"]);
    const text = server.output.text();
    expect(text).toMatch(/portico dev: serving api\.yaml: API shop, 2 routes, version [0-9a-f]{12}/);
    expect(text).toMatch(new RegExp(`${server.url}/dev/…\\s+stage dev\\s+the file`));
    expect(text).toMatch(new RegExp(`${server.url}/prod/…\\s+stage prod\\s+published version \\(the file's until one is published\\)`));
    expect(text).toMatch(/admin API: .* disabled \(no ADMIN_TOKEN\): cp \.dev\.vars\.example \.dev\.vars/);
    expect(await get("/dev/hello")).toMatchObject({ status: 200, body: '{"message":"Hello from shop"}' });
  }, 120_000);

  it("reloads on every save style — an atomic rename twice in a row too — and prints each reload", async () => {
    const styles: [keyof typeof save, string][] = [
      ["atomicRename", "one"],
      ["atomicRename", "two"],
      ["inPlace", "three"],
      ["backupThenWrite", "four"],
      ["atomicRename", "five"],
    ];
    for (const [style, message] of styles) {
      const from = server!.output.text().length;
      save[style](hello(message));
      const reloaded = await server!.output.waitFor(/portico dev: reloaded api\.yaml: version ([0-9a-f]{12}), 1 routes, stages dev and prod/, 15_000, from);
      const served = await servesMessage("/dev/hello", message);
      expect(served.version, style).toBe(reloaded[1]);
    }
  }, 120_000);

  it("prints a bad save's errors with their field paths and keeps serving the last good version", async () => {
    const good = await get("/dev/hello");
    let from = server!.output.text().length;
    save.atomicRename(hello("six").replace("integration:", "integraton:"));
    await server!.output.waitFor(/still serving version/, 15_000, from);
    let printed = server!.output.text().slice(from);
    expect(printed).toContain("api.yaml: 2 errors");
    expect(printed).toContain('routes["GET /hello"].integraton: unknown field (did you mean "integration"?)');
    expect(printed).toContain(`portico dev: still serving version ${good.version}`);

    // What it names in the environment is checked too: a binding wrangler.toml does not declare.
    from = server!.output.text().length;
    save.atomicRename(hello("six").replace("type: mock,", "type: service, service: ORDERS,").replace(/, body: \{[^}]*\}/, ""));
    await server!.output.waitFor(/still serving version/, 15_000, from);
    printed = server!.output.text().slice(from);
    expect(printed).toMatch(/routes\["GET \/hello"\]\.integration\.service: no service binding "ORDERS" in wrangler\.toml \(declare it under \[\[services\]\]\)/);
    expect(await get("/dev/hello")).toMatchObject({ status: 200, body: good.body, version: good.version });

    save.atomicRename(hello("seven"));
    await servesMessage("/dev/hello", "seven");
  }, 60_000);

  it("picks up .dev.vars without a restart; stages and history tell the truth before any deploy", async () => {
    expect((await get("/_portico/server")).status).toBe(503);
    expect((await admin("stages")).status).toBe(4);
    const from = server!.output.text().length;
    writeFileSync(join(project, ".dev.vars"), readFileSync(join(project, ".dev.vars.example")));
    await server!.output.waitFor(/portico dev: the admin API is enabled \(ADMIN_TOKEN from \.dev\.vars\)/, 30_000, from);
    expect(server!.output.text().slice(from)).toContain("portico dev: .dev.vars changed (ADMIN_TOKEN, PORTICO_FORCE_SECRET and PORTICO_DEBUG_TOKEN): the Worker reloads with it");

    const version = (await get("/dev/hello")).version!;
    const stages = await admin("stages");
    expect(stages.status, stages.stderr).toBe(0);
    expect(stages.stdout.split("\n").slice(0, 3).map((l) => l.split(/\s+/).slice(0, 3).join(" "))).toEqual(["STAGE SERVED FROM", `dev file ${version}`, `prod file ${version}`]);
    const history = await admin("history");
    expect(history).toMatchObject({ status: 0, stdout: `no deployments of shop yet: stages dev and prod serve the file api.yaml (version ${version})\n` });
    expect(JSON.parse((await admin("history", "--json")).stdout)).toEqual([]);
  }, 60_000);

  it("refuses a deploy it would not serve, saying why; serves one to a --published stage", async () => {
    const served = await admin("deploy", "api.yaml", "--stage", "dev");
    expect(served.status).toBe(1);
    expect(served.stderr).toBe("refused: this portico dev server serves stage dev of shop from api.yaml, so a published version would not be served; restart it with --published dev to serve published versions of dev\n");

    writeFileSync(join(project, "other.yaml"), hello("other").replace("name: shop", "name: other"));
    const other = await admin("deploy", "other.yaml", "--stage", "prod");
    expect(other.status).toBe(1);
    expect(other.stderr).toBe("refused: this server serves API shop on its host names, and other maps no custom domain to stage prod, so nothing would reach it; to serve it locally: portico dev other.yaml\n");
    expect((await admin("history", "--json")).stdout).toBe("[]\n");

    writeFileSync(join(project, "release.yaml"), hello("released"));
    const release = await admin("deploy", "release.yaml", "--stage", "prod", "--json");
    expect(release.status, release.stderr).toBe(0);
    const id = (JSON.parse(release.stdout) as { deployment: { id: string } }).deployment.id;
    await servesMessage("/prod/hello", "released");
    expect(JSON.parse((await get("/dev/hello")).body)).toEqual({ message: "seven" });
    const rows = JSON.parse((await admin("stages", "--json")).stdout) as { stage: string; servedFrom: string; deploymentId: string }[];
    expect(rows.map((r) => [r.stage, r.servedFrom, r.deploymentId === id])).toEqual([["dev", "file", false], ["prod", "published", true]]);

    await server!.stop("SIGINT");
    server = undefined;
  }, 90_000);

  it("after a restart the file serves every stage again, even the one a version was published to", async () => {
    server = await startDev(project, ["npm", "run", "dev", "--"]);
    expect(server.output.text()).toMatch(new RegExp(`${server.url}/prod/…\\s+stage prod\\s+the file`));
    expect(JSON.parse((await get("/prod/hello")).body)).toEqual({ message: "seven" });
    const stages = await admin("stages");
    expect(stages.stdout).toMatch(/^prod\s+file\s/m);
    expect(stages.stdout).toMatch(/^prod: published version [0-9a-f]{12} is not served: portico dev serves prod from api\.yaml \(--published prod serves it\)$/m);
    expect((await admin("deploy", "release.yaml", "--stage", "prod")).status).toBe(1);
    await server.stop();
    server = undefined;
  }, 90_000);

  it("--fresh starts from empty local state; a second portico dev and portico embed leave a running one alone", async () => {
    server = await startDev(project, ["npm", "run", "dev", "--", "--fresh"]);
    expect(server.output.text()).toContain("portico dev: --fresh: removed .wrangler/state (published versions, API keys, usage, cache)");
    expect(await admin("history")).toMatchObject({ status: 0, stdout: expect.stringMatching(/^no deployments of shop yet/) });
    expect((await admin("stages")).stdout).not.toMatch(/published/);
    const before = await get("/dev/hello");

    // `npm run deploy`'s first step writes the shared embedded bundle: not what the dev server reads.
    const embed = await portico("embed", "other.yaml");
    expect(embed.status, embed.stderr).toBe(0);
    // A second dev server in the same project, on another file (and its own local state).
    const second = await startDev(project, [process.execPath, CLI, "dev", "other.yaml"], ["--persist-to", ".wrangler/state-second"]);
    try {
      expect(JSON.parse((await fetch(`${second.url}/dev/hello`).then((r) => r.text())))).toEqual({ message: "other" });
      expect(await get("/dev/hello")).toEqual(before);
    } finally {
      await second.stop();
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(await get("/dev/hello")).toEqual(before);
    await server.stop();
    server = undefined;
    expect(readdirSync(project).filter((n) => n.startsWith(".portico-"))).toEqual([]);
  }, 120_000);
});
