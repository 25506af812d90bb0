/**
 * The README stays true: every `console` block in it is run, in order, in a fresh checkout with `npm run dev`
 * running, and what each command prints is compared with what the README shows — the status line, header names
 * and JSON body of a `curl -i`, the JSON of a `curl`, the text of a CLI command — tolerating what must differ
 * between runs (request ids, version hashes, times). `yaml` blocks that start with `# NAME.yaml` are written
 * to NAME.yaml first, so the commands run against the very files the README shows.
 *
 * With the dev server still running, what used to rewrite the file it serves is run in the same checkout —
 * `npm run build`, `npm run deploy`'s embed step, loading vitest's config (what `npm test` does first) — and the
 * server must still serve the same version.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolatedCheckout, REPO_ROOT, type Checkout } from "./support/checkout.ts";
import { startDev, type DevServer } from "./support/dev-server.ts";
import { sleep } from "./support/processes.ts";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const VERSION = /^[0-9a-f]{12}$/;

type Block = { kind: "file"; name: string; text: string } | { kind: "console"; steps: { command: string; expected: string }[] };

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  for (const m of markdown.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)) {
    const [, lang, body] = m as unknown as [string, string, string];
    const file = /^# (\S+\.ya?ml)\b/.exec(body);
    if (lang === "yaml" && file) out.push({ kind: "file", name: file[1]!, text: body });
    if (lang !== "console") continue;
    const steps: { command: string; expected: string }[] = [];
    for (const line of body.split("\n")) {
      if (line.startsWith("$ ")) steps.push({ command: line.slice(2), expected: "" });
      else if (steps.length) steps[steps.length - 1]!.expected += line + "\n";
    }
    out.push({ kind: "console", steps: steps.map((s) => ({ ...s, expected: s.expected.replace(/\n+$/, "\n").replace(/^\n$/, "") })) });
  }
  return out;
}

let checkout: Checkout;
let server: DevServer | undefined;
beforeAll(async () => {
  checkout = isolatedCheckout();
  server = await startDev(checkout.dir, ["npm", "run", "dev", "--"]);
}, 120_000);
afterAll(async () => {
  await server?.dispose();
  checkout?.dispose();
});

function sh(command: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    // A CLI's errors are part of what it shows; curl's progress meter (stderr, off a terminal) is not.
    const child = spawn("bash", ["-c", /^curl\b/.test(command) ? `${command} 2>/dev/null` : `${command} 2>&1`], { cwd: checkout.dir, env: { ...process.env, NO_COLOR: "1", ...env } });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c));
    child.on("error", reject);
    child.on("close", () => resolve(out));
  });
}

/** Text with what differs between runs replaced: version hashes, request ids, times. */
const normal = (text: string) =>
  text
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "<uuid>")
    .replace(/\b[0-9a-f]{12}\b/g, "<version>")
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/g, "<time>")
    .replace(/[ \t]+$/gm, "");

function compare(command: string, actual: string, expected: string): void {
  if (/^curl -i\b/.test(command)) {
    const split = (text: string) => {
      const [head, ...body] = text.replace(/\r/g, "").split("\n\n");
      const [status, ...headers] = head!.split("\n");
      return { status, headers: new Map(headers.map((h) => [h.slice(0, h.indexOf(":")).toLowerCase(), h.slice(h.indexOf(":") + 1).trim()])), body: body.join("\n\n").trim() };
    };
    const [got, want] = [split(actual), split(expected)];
    expect(got.status, command).toBe(want.status);
    expect([...got.headers.keys()].sort(), command).toEqual([...want.headers.keys()].sort());
    for (const [name, value] of want.headers) {
      if (name === "x-amzn-requestid") expect(got.headers.get(name)).toMatch(UUID);
      else if (name === "x-portico-version") expect(got.headers.get(name)).toMatch(VERSION);
      else expect(got.headers.get(name), `${command}: ${name}`).toBe(value);
    }
    expect(JSON.parse(got.body), command).toEqual(JSON.parse(want.body));
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(expected);
  } catch {
    expect(normal(actual), command).toBe(normal(expected));
    return;
  }
  expect(JSON.parse(actual), command).toEqual(json);
}

describe("README.md", () => {
  it("opens with the two commands and what they show", () => {
    const top = README.split("\n").slice(0, 45).join("\n");
    expect(top).toMatch(/```sh\nnpm install\nnpm run dev .*\nnpm test .*\n```/);
    expect(top).toMatch(/```console\n\$ curl -i localhost:8787\/prod\/pets\/2\n/);
  });

  it("every console example does what it shows, against npm run dev", async () => {
    // Where the README's commands reach the server when they name no URL: the CLI's PORTICO_URL, the chat client's CHAT_URL.
    const env: Record<string, string> = { PORTICO_URL: server!.url, CHAT_URL: `ws://chat.localhost:${server!.port}/` };
    let ran = 0;
    for (const block of blocks(README)) {
      if (block.kind === "file") {
        writeFileSync(join(checkout.dir, block.name), block.text);
        continue;
      }
      for (const { command, expected } of block.steps) {
        const exported = /^export (\w+)=(\S+)$/.exec(command);
        if (exported) {
          env[exported[1]!] = exported[2]!.replace(/^["']|["']$/g, "");
          continue;
        }
        const from = server!.output.text().length;
        const actual = await sh(command.replaceAll("localhost:8787", server!.url.replace("http://", "")), env);
        compare(command, actual, expected);
        ran++;
        // A person types the next command a moment later; the dev server says when .dev.vars is in effect.
        if (command.includes(".dev.vars")) await server!.output.waitFor(/the admin API is enabled/, 30_000, from);
      }
    }
    expect(ran).toBeGreaterThanOrEqual(8);
  }, 180_000);

  it("npm run build, npm run deploy's embed and npm test's setup leave the running server's bundle alone", async () => {
    const before = await fetch(`${server!.url}/prod/pets/2`);
    const version = before.headers.get("x-portico-version");
    const from = server!.output.text().length;
    writeFileSync(join(checkout.dir, "other.yaml"), "name: other\nstages: { prod: {} }\nroutes:\n  GET /pets/{id}: { integration: { type: mock } }\n");
    for (const [program, args] of [
      ["npm", ["run", "build"]],
      [process.execPath, ["cli/portico.mjs", "embed", "other.yaml"]],
      [process.execPath, ["--import", "tsx", "-e", "await import('./vitest.config.ts')"]],
    ] as const) {
      const code = await new Promise<number | null>((resolve) => spawn(program, args, { cwd: checkout.dir, stdio: "ignore" }).on("close", resolve));
      expect(code, `${program} ${args.join(" ")}`).toBe(0);
    }
    await sleep(2000);
    const after = await fetch(`${server!.url}/prod/pets/2`);
    expect(after.status).toBe(200);
    expect(after.headers.get("x-portico-version")).toBe(version);
    expect(server!.output.text().slice(from)).not.toMatch(/Reloading|reloaded/);
    await server!.stop();
    server = undefined;
  }, 120_000);
});
