/**
 * The mTLS authorizer through the whole pipeline: the client certificate facts Cloudflare puts in
 * `request.cf.tlsClientAuth` (set here on the Request the test builds). No certificate → 401; a certificate that
 * Cloudflare did not verify, or that fails the issuer / subject (exact or /regex/) / fingerprint rules → 403;
 * the backend is never called on a refusal.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { TlsClientAuth } from "../../../src/authorizers/mtls/index.ts";
import type { ApiDefinition } from "../../../src/config/types.ts";
import { gatewayFor, type TestGateway } from "../support/gateway.ts";
import { workerHits } from "../integrations/backends.ts";
import { echoTo, expectRefused, expectServed, uid, UNAUTHORIZED } from "./support.ts";

const ISSUER = "CN=Partner CA,O=Portico Test,C=CH";
const FINGERPRINT = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const FORBIDDEN = { status: 403, body: '{"message":"Forbidden"}', errorType: "AccessDeniedException" };

const path = `mtls-${uid()}`;
const backend = `/echo/${path}`;
let gw: TestGateway;

beforeAll(async () => {
  const definition: ApiDefinition = {
    name: `mtls-${uid()}`,
    stages: { prod: {} },
    authorizers: {
      any: { type: "mtls" },
      partners: { type: "mtls", issuers: [ISSUER], subjects: ["CN=exact.partner.test,O=Partner", "/^CN=svc-[a-z]+\\.partner\\.test,O=Partner$/"] },
      pinned: { type: "mtls", fingerprints: [FINGERPRINT.toUpperCase()] },
    },
    routes: {
      "GET /any": { authorizer: "any", integration: echoTo(path) },
      "GET /partners": { authorizer: "partners", integration: echoTo(path) },
      "GET /pinned": { authorizer: "pinned", integration: echoTo(path) },
      "GET /lambda/{id}": { authorizer: "partners", integration: { type: "service", service: "LAMBDA_ECHO", payloadFormat: "1.0" } },
    },
  };
  gw = await gatewayFor(definition);
});

type Cert = TlsClientAuth;

const partnerCert = (over: Cert = {}): Cert => ({
  certPresented: "1",
  certVerified: "SUCCESS",
  certIssuerDN: ISSUER,
  certSubjectDN: "CN=exact.partner.test,O=Partner",
  certFingerprintSHA256: FINGERPRINT,
  certSerial: "0A1B2C",
  ...over,
});

const withCert = (route: string, cert: Cert | null, headers: Record<string, string> = {}) => () =>
  gw.request(new Request(`http://gateway.test/prod${route}`, { headers, ...(cert ? { cf: { tlsClientAuth: cert } } : {}) } as RequestInit));

describe("presence and verification", () => {
  it("serves a verified certificate when the authorizer has no further rules", async () => {
    await expectServed(withCert("/any", partnerCert({ certIssuerDN: "CN=Anyone", certSubjectDN: "CN=anyone" })), backend);
  });

  it.each<[string, Cert | null]>([
    ["no tlsClientAuth at all", null],
    ["certPresented 0", { certPresented: "0", certVerified: "NONE" }],
    ["an empty tlsClientAuth", {}],
    ["certPresented true (not Cloudflare's \"1\")", { ...partnerCert(), certPresented: "true" }],
  ])("answers 401 Unauthorized for %s", async (_name, cert) => {
    await expectRefused(withCert("/any", cert), backend, UNAUTHORIZED);
  });

  it.each<[string, string | undefined]>([
    ["FAILED:self signed certificate", "FAILED:self signed certificate"],
    ["FAILED:certificate has expired", "FAILED:certificate has expired"],
    ["NONE", "NONE"],
    ["success (lower case)", "success"],
    ["missing", undefined],
  ])("answers 403 Forbidden for a presented certificate verified as %s", async (_name, certVerified) => {
    await expectRefused(withCert("/any", { ...partnerCert(), certVerified }), backend, FORBIDDEN);
  });

  it("does not take certificate facts from request headers", async () => {
    const headers = { "cf-tls-client-auth": JSON.stringify(partnerCert()), "x-client-cert-verified": "SUCCESS", "x-ssl-client-verify": "SUCCESS" };
    await expectRefused(withCert("/any", null, headers), backend, UNAUTHORIZED);
  });
});

describe("issuer, subject and fingerprint rules", () => {
  it.each<[string, Cert]>([
    ["the exact subject from the accepted issuer", partnerCert()],
    ["a subject matching the /regex/", partnerCert({ certSubjectDN: "CN=svc-billing.partner.test,O=Partner" })],
  ])("serves %s", async (_name, cert) => {
    await expectServed(withCert("/partners", cert), backend);
  });

  it.each<[string, Cert]>([
    ["another issuer", partnerCert({ certIssuerDN: "CN=Evil CA,O=Portico Test,C=CH" })],
    ["the issuer in another case", partnerCert({ certIssuerDN: ISSUER.toLowerCase() })],
    ["the issuer with a suffix", partnerCert({ certIssuerDN: `${ISSUER},OU=x` })],
    ["no issuer", partnerCert({ certIssuerDN: undefined })],
    ["a subject that only starts like the exact one", partnerCert({ certSubjectDN: "CN=exact.partner.test,O=Partner,OU=evil" })],
    ["a subject with a suffix after the regex's end", partnerCert({ certSubjectDN: "CN=svc-billing.partner.test,O=Partner.evil" })],
    ["a subject with a prefix before the regex's start", partnerCert({ certSubjectDN: "X=1,CN=svc-billing.partner.test,O=Partner" })],
    ["a subject with a newline before the regex's end", partnerCert({ certSubjectDN: "CN=svc-billing.partner.test,O=Partner\nCN=evil" })],
    ["a subject outside the regex's character class", partnerCert({ certSubjectDN: "CN=svc-Billing.partner.test,O=Partner" })],
    ["a subject where the regex's escaped dot is another character", partnerCert({ certSubjectDN: "CN=svc-billingXpartner.test,O=Partner" })],
    ["no subject", partnerCert({ certSubjectDN: undefined })],
  ])("answers 403 Forbidden for %s", async (_name, cert) => {
    await expectRefused(withCert("/partners", cert), backend, FORBIDDEN);
  });

  it("matches a pinned fingerprint whatever its case, and refuses any other", async () => {
    await expectServed(withCert("/pinned", partnerCert()), backend);
    await expectServed(withCert("/pinned", partnerCert({ certFingerprintSHA256: FINGERPRINT.toUpperCase() })), backend);
    for (const certFingerprintSHA256 of [FINGERPRINT.replace(/.$/, "9"), FINGERPRINT.slice(0, 63), "", undefined])
      await expectRefused(withCert("/pinned", partnerCert({ certFingerprintSHA256 })), backend, FORBIDDEN);
  });
});

describe("identity for a Lambda-style backend", () => {
  it("reaches the service backend only once the certificate passes", async () => {
    const id = uid();
    const res = await withCert(`/lambda/${id}`, partnerCert())();
    expect(res.status).toBe(200);
    const event = (await res.json()) as { path: string; requestContext: Record<string, unknown> };
    expect(event.path).toBe(`/lambda/${id}`);
    expect(await workerHits("LAMBDA_ECHO", `/lambda/${id}`)).toBe(1);

    const refused = uid();
    const denied = await withCert(`/lambda/${refused}`, partnerCert({ certSubjectDN: "CN=intruder" }))();
    expect(denied.status).toBe(403);
    expect(await workerHits("LAMBDA_ECHO", `/lambda/${refused}`)).toBe(0);
  });

  it("passes the certificate facts to the Lambda event's requestContext.authorizer", async () => {
    const res = await withCert(`/lambda/${uid()}`, partnerCert())();
    const event = (await res.json()) as { requestContext: { authorizer?: Record<string, unknown> } };
    expect(event.requestContext.authorizer).toMatchObject({
      principalId: partnerCert().certSubjectDN,
      issuer: ISSUER,
      subject: partnerCert().certSubjectDN,
      fingerprint: FINGERPRINT,
    });
  });
});
