#!/usr/bin/env node
// A tiny client for the example chat (examples/chat/api.yaml), using `ws` (installed with the project):
//
//   node examples/chat/client.mjs ada                      # join the lobby; type lines to send them, Ctrl-D to quit
//   node examples/chat/client.mjs bob kitchen              # join the kitchen instead
//   node examples/chat/client.mjs eve kitchen --say "hi"   # say one thing, show what arrives for a second, leave
//
// It connects to ws://chat.localhost:8787/ (override with --url or CHAT_URL). *.localhost is this machine
// (RFC 6761; browsers know it); Node's resolver may not, so the client resolves it to localhost itself.
import { lookup as dnsLookup } from "node:dns";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import WebSocket from "ws";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { url: { type: "string" }, say: { type: "string" } } });
const [name, room = "lobby"] = positionals;
if (!name) {
  console.error("usage: node examples/chat/client.mjs NAME [ROOM] [--say TEXT] [--url ws://chat.localhost:8787/]");
  process.exit(2);
}
const url = new URL(values.url ?? process.env.CHAT_URL ?? "ws://chat.localhost:8787/");
url.searchParams.set("name", name);

const lookup = (host, options, callback) => dnsLookup(host.endsWith(".localhost") ? "localhost" : host, options, callback);
const ws = new WebSocket(url, { lookup });

const show = (data) => {
  let message;
  try {
    message = JSON.parse(String(data));
  } catch {
    return console.log(String(data));
  }
  if (message.from !== undefined) console.log(`[${message.room}] ${message.from}: ${message.text}`);
  else if (message.event) console.log(`[${message.room}] ${message.name ?? "you"} ${message.event}`);
  else console.log(JSON.stringify(message));
};

ws.on("unexpected-response", (_req, res) => {
  console.error(`refused: HTTP ${res.statusCode}`);
  process.exit(1);
});
ws.on("error", (err) => {
  console.error(`cannot connect to ${url.origin}: ${err.message} (is \`npm run dev\` running?)`);
  process.exit(1);
});
// Set once this client says goodbye: how the other side then ends the socket is no news (a proxy in between,
// such as wrangler dev's, may drop the connection instead of echoing the close, which reads as 1006).
let leaving = false;
const leave = () => {
  leaving = true;
  ws.close(1000);
};
ws.on("close", (code, reason) => {
  if (!leaving && code !== 1000 && code !== 1005) console.error(`closed: ${code} ${reason}`);
  process.exit(0);
});
ws.on("message", show);
ws.on("open", () => {
  if (room !== "lobby") ws.send(JSON.stringify({ action: "join", room }));
  if (values.say !== undefined) {
    ws.send(JSON.stringify({ action: "send", room, text: values.say }));
    setTimeout(leave, 1000);
    return;
  }
  console.error(`connected as ${name} in ${room}: type a line to send it`);
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (text) => text.trim() && ws.send(JSON.stringify({ action: "send", room, text })));
  lines.on("close", leave);
});
