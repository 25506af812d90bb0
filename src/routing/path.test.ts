/** `normalizePath`: the one path normalisation before routing (docs/architecture.md, security rules). */
import { describe, expect, it } from "vitest";
import { normalizePath } from "./path.ts";

const segments = (pathname: string) => {
  const result = normalizePath(pathname);
  if (!result.ok) throw new Error(`refused: ${pathname} (${result.reason})`);
  return result.segments;
};

describe("normalizePath", () => {
  it("splits a path into raw segments", () => {
    expect(normalizePath("/pets/1")).toEqual({ ok: true, segments: ["pets", "1"], trailingSlash: false });
  });

  it("gives the root no segments and no trailing slash", () => {
    expect(normalizePath("/")).toEqual({ ok: true, segments: [], trailingSlash: false });
    expect(normalizePath("")).toEqual({ ok: true, segments: [], trailingSlash: false });
  });

  it("collapses doubled slashes anywhere (Amazon routes /stage//x as /x)", () => {
    expect(segments("//pets")).toEqual(["pets"]);
    expect(segments("/pets//1")).toEqual(["pets", "1"]);
    expect(segments("/pets///1////toys")).toEqual(["pets", "1", "toys"]);
  });

  it("flags a trailing slash (and drops the empty segment)", () => {
    expect(normalizePath("/pets/")).toEqual({ ok: true, segments: ["pets"], trailingSlash: true });
    expect(normalizePath("/pets//")).toEqual({ ok: true, segments: ["pets"], trailingSlash: true });
    expect(normalizePath("/pets")).toMatchObject({ trailingSlash: false });
  });

  describe("refuses spellings a backend could read as another path", () => {
    const refused = [
      ["/admin%2Fsecret", "encoded slash (upper case)"],
      ["/admin%2fsecret", "encoded slash (lower case)"],
      ["/a%5Cb", "encoded backslash"],
      ["/a%5cb", "encoded backslash (lower case)"],
      ["/a%00b", "encoded NUL"],
      ["/a%0ab", "encoded LF"],
      ["/a%0Db", "encoded CR"],
      ["/a%1fb", "encoded control character"],
      ["/a%7fb", "encoded DEL"],
      ["/a%7Fb", "encoded DEL (upper case)"],
      ["/admin;x", "raw ; (a servlet path parameter: /admin;x would reach /admin)"],
      ["/admin;", "raw ; at the end"],
      ["/a\\b", "raw backslash"],
      ["/a\u0000b", "raw NUL"],
      ["/a\nb", "raw LF"],
      ["/a\u007fb", "raw DEL"],
    ] as const;
    for (const [path, what] of refused)
      it(`${what}: ${JSON.stringify(path)}`, () => {
        const result = normalizePath(path);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reason).toMatch(/refused/);
      });
  });

  it("keeps %2B, @, +, %20 and other encodings exactly as sent (never decoded)", () => {
    expect(segments("/users/test%2Balias@gmail.com")).toEqual(["users", "test%2Balias@gmail.com"]);
    expect(segments("/q/a+b")).toEqual(["q", "a+b"]);
    expect(segments("/q/a%20b")).toEqual(["q", "a%20b"]);
    expect(segments("/q/%E2%9C%93")).toEqual(["q", "%E2%9C%93"]);
    expect(segments("/q/a%2Cb%3Dc")).toEqual(["q", "a%2Cb%3Dc"]);
  });

  it("is given what the URL parser produced, so it works on new URL(...).pathname", () => {
    const url = new URL("https://gw.example.com/prod//pets/test%2Balias/?x=1");
    expect(normalizePath(url.pathname)).toEqual({ ok: true, segments: ["prod", "pets", "test%2Balias"], trailingSlash: true });
    expect(normalizePath(new URL("https://gw.example.com/prod/admin%2Fx").pathname).ok).toBe(false);
    expect(normalizePath(new URL("https://gw.example.com/prod/admin;x").pathname).ok).toBe(false);
  });
});

describe("what the URL parser resolves before routing (WHATWG URL in the Workers runtime)", () => {
  // These never reach normalizePath: dot segments, in any spelling, are resolved by `new URL()` itself.
  it("resolves %2e%2e and .. segments", () => {
    expect(new URL("http://h/a/%2e%2e/b").pathname).toBe("/b");
    expect(new URL("http://h/a/%2E%2E/b").pathname).toBe("/b");
    expect(new URL("http://h/a/.%2e/b").pathname).toBe("/b");
    expect(new URL("http://h/a/../b").pathname).toBe("/b");
    expect(new URL("http://h/../../b").pathname).toBe("/b");
  });

  it("resolves . and %2e segments", () => {
    expect(new URL("http://h/a/./b").pathname).toBe("/a/b");
    expect(new URL("http://h/a/%2e/b").pathname).toBe("/a/b");
  });

  it("turns a raw backslash into a slash in http(s) URLs, but leaves %5C encoded (refused by normalizePath)", () => {
    expect(new URL("http://h/a\\b").pathname).toBe("/a/b");
    expect(new URL("http://h/a%5Cb").pathname).toBe("/a%5Cb");
    expect(normalizePath(new URL("http://h/a%5Cb").pathname).ok).toBe(false);
  });

  it("keeps %2F encoded (so normalizePath can refuse it) and doubled slashes as sent", () => {
    expect(new URL("http://h/a%2Fb").pathname).toBe("/a%2Fb");
    expect(new URL("http://h//a//b/").pathname).toBe("//a//b/");
  });

  it("percent-encodes raw spaces and keeps + and @", () => {
    expect(new URL("http://h/a b/c+d@e").pathname).toBe("/a%20b/c+d@e");
  });
});

describe("normalizePath: one spelling per path (RFC 3986 §6.2.2)", () => {
  it("decodes percent-encoded unreserved characters, so a guarded route cannot be missed by spelling it encoded", () => {
    expect(normalizePath("/prod/%61dmin")).toEqual({ ok: true, segments: ["prod", "admin"], trailingSlash: false });
    expect(normalizePath("/prod/%41%7E%2d%5F%2E1")).toEqual({ ok: true, segments: ["prod", "A~-_.1"], trailingSlash: false });
  });

  it("keeps other escapes as sent, upper-cased", () => {
    expect(normalizePath("/p/a%2bb/%40x/%20")).toEqual({ ok: true, segments: ["p", "a%2Bb", "%40x", "%20"], trailingSlash: false });
  });

  it("refuses a segment that decodes to a dot segment", () => {
    expect(normalizePath("/p/%2E%2e").ok).toBe(false);
    expect(normalizePath("/p/%2e").ok).toBe(false);
  });
});
