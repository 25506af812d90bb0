import { env } from "cloudflare:test";
import { expect, it } from "vitest";
it("probe", async () => {
  const b = (env as any).PET_PHOTOS as R2Bucket;
  await b.put("k", "hello world");
  const log = (...a: unknown[]) => console.log(JSON.stringify(a));
  for (const r of [{ offset: 20 }, { offset: 3, length: 100 }, { suffix: 100 }, { offset: 11 }]) {
    try { const o = await b.get("k", { range: r as any }); log(r, o && "body" in o ? await o.text() : "nobody", o?.range); } catch (e) { log(r, "threw", String(e)); }
  }
  try { const o = await b.put("k", "x", { onlyIf: new Headers({ "if-none-match": "*" }) }); log("put inm*", o === null ? "null" : "written"); } catch (e) { log("put inm* threw", String(e)); }
  try { const o = await b.put("new1", "x", { onlyIf: new Headers({ "if-none-match": "*" }) }); log("put inm* new", o === null ? "null" : "written"); } catch (e) { log("put new threw", String(e)); }
  try { const o = await b.get("k", { onlyIf: new Headers({ "if-none-match": '"zzz", *' }) }); log("get", o && "body" in o ? "body" : "nobody"); } catch (e) { log("get threw", String(e)); }
  const h = await b.head("k"); log(h?.httpEtag, h?.etag, h?.uploaded);
  const req = new Request("http://x", { method: "PUT", body: "abc" });
  try { const o = await b.put("s", req.body!); log("stream put", o?.size); } catch (e) { log("stream put threw", String(e)); }
  const req2 = new Request("http://x", { method: "PUT", body: "abc", headers: {"content-length": "3"} });
  try { const o = await b.put("s", req2.body!); log("stream put2", o?.size); } catch (e) { log("stream put2 threw", String(e)); }
  try { const o = await b.get("nope", { range: {offset: 5} }); log("absent range", o); } catch (e) { log("absent range threw", String(e)); }
  const l = await b.list({ prefix: "", limit: 2 }); log(l.truncated, (l as any).cursor, l.objects.map(o => o.key));
});
