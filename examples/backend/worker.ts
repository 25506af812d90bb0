/**
 * The demo backend for the example API: an ordinary Worker that Portico reaches through a service binding.
 * It serves a small in-memory pet store over plain HTTP (with server-sent events at /ticks), Lambda-style handlers
 * — `hello`, and the chat's (chat.ts) — wrapped, unchanged, by Portico's `lambdaWorker` adapter, the consumer of the
 * example's queue (adoption requests, listed at /adoption-requests) and the example's Workflow class
 * (AdoptionWorkflow).
 *
 * The safe pattern for one Worker that is both: the handler gets events only over the binding's RPC channel
 * (`invokeLambda`), and HTTP requests only ever reach the pet store. A client sending a body shaped like an
 * event — with `x-portico-payload-format` or any other header — to a raw route (`/files/...`) or to this Worker's
 * own URL reaches `petStore`, never `hello`. Dispatching on a request header would let it choose.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { lambdaWorker } from "../../src/wire/lambda/adapter.ts";
import { chat, guest } from "./chat.ts";

interface Pet {
  id: number;
  name: string;
  type: string;
  price?: number;
}

const pets: Pet[] = [
  { id: 1, name: "Rex", type: "dog", price: 250 },
  { id: 2, name: "Tom", type: "cat", price: 120 },
  { id: 3, name: "Nemo", type: "fish", price: 5 },
];

/** A Lambda handler as it would run on AWS: it knows nothing about Workers. */
export async function hello(event: { queryStringParameters: Record<string, string> | null; requestContext: { stage: string } }) {
  const name = event.queryStringParameters?.name ?? "world";
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message: `Hello, ${name}!`, stage: event.requestContext.stage, from: "a Lambda-style handler" }),
  };
}

/** A 1x1 PNG. */
const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mP8/wIAAgkBAyMAlYwAAAAASUVORK5CYII="), (c) => c.charCodeAt(0));

/** The pet store: plain HTTP, as any Worker serves it. */
async function petStore(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const parts = url.pathname.split("/").filter(Boolean);

  if (parts[0] === "pets" && parts.length === 1) {
    if (request.method === "POST") {
      const input = (await request.json()) as Omit<Pet, "id">;
      return Response.json({ id: pets.length + 1, ...input }, { status: 201 });
    }
    return Response.json(pets);
  }
  if (parts[0] === "pets" && parts.length === 3 && parts[2] === "photo") {
    // A pet's photo: binary (a 1x1 PNG), for the example's binary route.
    const pet = pets.find((p) => String(p.id) === parts[1]);
    if (!pet) return Response.json({ error: `no pet ${parts[1]}` }, { status: 404 });
    return new Response(PNG, { headers: { "content-type": "image/png" } });
  }
  if (parts[0] === "pets" && parts.length === 2) {
    const pet = pets.find((p) => String(p.id) === parts[1]);
    return pet ? Response.json(pet) : Response.json({ error: `no pet ${parts[1]}` }, { status: 404 });
  }
  if (parts[0] === "search") {
    const q = (url.searchParams.get("q") ?? "").toLowerCase();
    return Response.json(pets.filter((p) => p.name.toLowerCase().includes(q) || p.type === q));
  }
  if (parts[0] === "greeting") {
    return Response.json({ message: `${request.headers.get("x-greeting") ?? "Hello"}, ${url.searchParams.get("name") ?? "friend"}!` });
  }
  if (parts[0] === "ticks") return ticks(url);
  if (parts[0] === "files") {
    return new Response(`You asked for /${parts.slice(1).join("/")}\n`, { headers: { "content-type": "text/plain" } });
  }
  return Response.json({ error: "not found" }, { status: 404 });
}

/**
 * Server-sent events, written as time passes (`?count=` events, `?ms=` apart): the example's streamed route. Pulled
 * by the reader, so nothing is produced for a client that went away.
 */
function ticks(url: URL): Response {
  const count = Math.min(Math.max(Number(url.searchParams.get("count")) || 5, 1), 100);
  const every = Math.min(Math.max(Number(url.searchParams.get("ms")) || 200, 10), 5000);
  const encoder = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (i > 0) await new Promise((r) => setTimeout(r, every));
        controller.enqueue(encoder.encode(`id: ${i}\nevent: tick\ndata: {"tick": ${i}, "of": ${count}}\n\n`));
        if (++i >= count) controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

/** An adoption request as the example API queues it (POST /adoption-requests, a `type: queue` route). */
interface AdoptionRequest {
  petId?: number;
  adopter?: string;
}

/** The last adoption requests this isolate consumed from the queue, newest last (GET /adoption-requests). */
const consumed: { id: string; body: unknown; attempts: number }[] = [];
const CONSUMED_MAX = 100;

/**
 * The adoption process as a Workflow (the example's `type: workflow` routes start one and read its status): check
 * the pet exists, then approve. A class exported by this script, bound in the gateway's wrangler.toml.
 */
export class AdoptionWorkflow extends WorkflowEntrypoint<unknown, AdoptionRequest> {
  override async run(event: WorkflowEvent<AdoptionRequest>, step: WorkflowStep) {
    const pet = await step.do("find the pet", async () => pets.find((p) => p.id === Number(event.payload?.petId)) ?? null);
    if (!pet) throw new Error(`no pet ${String(event.payload?.petId)}`);
    return step.do("approve", async () => ({ petId: pet.id, pet: pet.name, adopter: event.payload?.adopter ?? "someone", approved: true }));
  }
}

/**
 * Every Lambda-style event this Worker handles, picked by the event's shape: Amazon's WebSocket event (the chat's
 * routes, examples/chat), an authorizer's REQUEST event (the chat's `guest`), else a REST proxy event (`hello`).
 * Choosing by the event is safe here, unlike choosing by a request header: events arrive only over the binding's
 * RPC channel, so only the gateway makes them.
 */
async function handler(event: unknown): Promise<unknown> {
  const e = event as { type?: unknown; requestContext?: { eventType?: unknown } };
  const eventType = e.requestContext?.eventType;
  if (eventType === "CONNECT" || eventType === "MESSAGE" || eventType === "DISCONNECT") return chat(event as Parameters<typeof chat>[0]);
  if (e.type === "REQUEST") return guest(event as Parameters<typeof guest>[0]);
  return hello(event as Parameters<typeof hello>[0]);
}

/** The pet store, the Lambda-style handlers (over RPC) and the queue's consumer. */
export default class DemoBackend extends lambdaWorker(handler, {
  functionName: "demo-backend",
  fetch: (request) => (new URL(request.url).pathname === "/adoption-requests" ? Response.json(consumed) : petStore(request)),
}) {
  override async queue(batch: MessageBatch<unknown>): Promise<void> {
    for (const message of batch.messages) {
      consumed.push({ id: message.id, body: message.body, attempts: message.attempts });
      if (consumed.length > CONSUMED_MAX) consumed.shift();
      message.ack();
    }
  }
}
