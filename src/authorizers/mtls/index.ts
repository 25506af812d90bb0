/**
 * The mTLS authorizer: the client must present a certificate that Cloudflare verified (`request.cf.tlsClientAuth`,
 * filled when mTLS is enabled on the zone), and it must match the configured issuers, subjects and fingerprints
 * (each list, when given, must contain a match). No certificate → 401; a certificate that fails a rule → 403.
 * Tests set `cf.tlsClientAuth` on the Request they build; nothing in the product reads certificates elsewhere.
 */
import type { BundleMtlsAuthorizer } from "../../config/bundle.ts";
import { linearPattern } from "../../security/linear-regex.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { Authorizer } from "../types.ts";

/** The client certificate facts Cloudflare puts in `request.cf.tlsClientAuth` (the fields this authorizer reads). */
export interface TlsClientAuth {
  certPresented?: string;
  certVerified?: string;
  certIssuerDN?: string;
  certSubjectDN?: string;
  certFingerprintSHA256?: string;
  certSerial?: string;
  certNotAfter?: string;
}

export function mtlsAuthorizer(spec: BundleMtlsAuthorizer): Authorizer {
  // Regular expressions run on the linear-time engine; one it cannot run (a bundle older than that check) matches nothing.
  const subjects = spec.subjects.map((s) => {
    if (!(s.length > 1 && s.startsWith("/") && s.endsWith("/"))) return s;
    const compiled = linearPattern(s.slice(1, -1));
    return typeof compiled === "string" ? { test: () => false } : compiled;
  });
  const subjectMatches = (dn: string) => subjects.some((s) => (typeof s === "string" ? s === dn : s.test(dn)));
  return {
    type: "mtls",
    async authorize(ctx) {
      const auth = (ctx.request.cf as { tlsClientAuth?: TlsClientAuth } | undefined)?.tlsClientAuth;
      if (!auth || auth.certPresented !== "1") throw new GatewayError("UNAUTHORIZED", { detail: "mtls: no client certificate" });
      if (auth.certVerified !== "SUCCESS") throw new GatewayError("ACCESS_DENIED", { message: "Forbidden", detail: `mtls: certificate not verified (${auth.certVerified ?? "unknown"})` });
      const issuer = auth.certIssuerDN ?? "";
      const subject = auth.certSubjectDN ?? "";
      const fingerprint = (auth.certFingerprintSHA256 ?? "").toLowerCase();
      if (spec.issuers.length && !spec.issuers.includes(issuer)) throw denied(`issuer ${issuer}`);
      if (subjects.length && !subjectMatches(subject)) throw denied(`subject ${subject}`);
      if (spec.fingerprints.length && !spec.fingerprints.includes(fingerprint)) throw denied("fingerprint");
      return {
        type: "mtls",
        principalId: subject,
        claims: null,
        scopes: [],
        context: { issuer, subject, fingerprint, serial: auth.certSerial ?? "" },
        usageIdentifierKey: null,
      };
    },
  };
}

function denied(what: string): GatewayError {
  return new GatewayError("ACCESS_DENIED", { message: "Forbidden", detail: `mtls: ${what} not accepted` });
}
