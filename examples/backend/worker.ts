/**
 * The demo backend for the example API: an ordinary Worker that Portico reaches through a service binding.
 * It serves a small in-memory pet store over plain HTTP, and one Lambda-style handler (`hello`) wrapped,
 * unchanged, by Portico's `lambdaWorker` adapter.
 */
import { lambdaWorker } from "../../src/integrations/lambda/adapter.ts";
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

const lambda = lambdaWorker(hello, { functionName: "hello" });
const chatLambda = lambdaWorker(chat, { functionName: "chat" });
const guestAuthorizer = lambdaWorker(guest, { functionName: "guest" });

export default {
  async fetch(request: Request): Promise<Response> {
    const format = request.headers.get("x-portico-payload-format");
    // "websocket": Amazon's WebSocket event (src/websocket/invoke.ts WS_PAYLOAD_FORMAT), for the chat's routes.
    if (format === "websocket") return chatLambda.fetch(request);
    if (format) return lambda.fetch(request);
    const url = new URL(request.url);
    // Custom authorizers are called at this host (src/authorizers/custom): the chat's `guest`.
    if (url.hostname === "authorizer.internal") return guestAuthorizer.fetch(request);
    const parts = url.pathname.split("/").filter(Boolean);

    if (parts[0] === "pets" && parts.length === 1) {
      if (request.method === "POST") {
        const input = (await request.json()) as Omit<Pet, "id">;
        return Response.json({ id: pets.length + 1, ...input }, { status: 201 });
      }
      return Response.json(pets);
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
    if (parts[0] === "files") {
      return new Response(`You asked for /${parts.slice(1).join("/")}\n`, { headers: { "content-type": "text/plain" } });
    }
    return Response.json({ error: "not found" }, { status: 404 });
  },
};
