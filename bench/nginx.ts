/**
 * (c) nginx `proxy_pass` to the bench's upstream, when nginx is installed: the floor of a native proxy on this
 * machine. Started with a generated config in a temporary directory, on a free loopback port, in the foreground
 * (`daemon off`) as a child of the bench, and stopped (then the directory removed) when the pool is disposed. One
 * worker process, as one workerd runs a Worker's requests on one thread; keep-alive connections to the upstream,
 * as workerd keeps them. Never installed by the bench: absent, (c) is skipped with a line saying so.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childrenOf, forward, type ExternalTarget } from "./processes.ts";

/** nginx's path: on PATH, or Debian's /usr/sbin/nginx (often not on a user's PATH); null when absent. */
export function nginxPath(): string | null {
  const found = spawnSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" });
  const onPath = found.status === 0 ? found.stdout.trim() : "";
  if (onPath) return onPath;
  return existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : null;
}

/** A port free on loopback now (nginx binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function config(dir: string, port: number, upstream: URL): string {
  return `# Written by bench/nginx.ts for npm run bench (peers section); removed after the run.
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream bench_upstream {
    server ${upstream.host};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      # Every path to the upstream's /hello, the query kept: as the bare fetch-proxy Worker does.
      rewrite ^ /hello break;
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_buffering on;
    }
  }
}
`;
}

/** Starts nginx; resolves once it answers. */
export async function startNginx(upstream: string): Promise<ExternalTarget> {
  const bin = nginxPath();
  if (!bin) throw new Error("nginx is not installed");
  const dir = mkdtempSync(join(tmpdir(), "portico-bench-nginx-"));
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, config(dir, port, new URL(upstream)));
  const child = spawn(bin, ["-p", dir, "-c", conf, "-e", "stderr", "-g", "daemon off;"], { stdio: ["ignore", "pipe", "pipe"] });
  forward(child.stdout!, "nginx");
  forward(child.stderr!, "nginx");
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = new URL(`http://127.0.0.1:${port}/`);
  const stop = async () => {
    if (child.exitCode === null) {
      const workers = childrenOf(child.pid!);
      child.kill("SIGTERM"); // nginx's fast shutdown: the master stops its worker, then itself
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (child.exitCode === null) {
        for (const pid of workers)
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        child.kill("SIGKILL");
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) break;
    try {
      await fetch(url);
      return { url, pid: child.pid!, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await stop();
  throw new Error(`nginx (${bin}) did not start on port ${port}`);
}
