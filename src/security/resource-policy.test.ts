import { describe, expect, it } from "vitest";
import { compilePolicy, evaluatePolicies } from "./resource-policy.ts";

const denyOnly = compilePolicy({ allow: null, deny: { ips: ["203.0.113.0/24"], countries: [], asns: [] } });
const countryDeny = compilePolicy({ allow: null, deny: { ips: [], countries: ["KP"], asns: [] } });

describe("evaluatePolicies", () => {
  it("refuses a caller whose address cannot be read when an address-based deny applies (fails closed)", () => {
    expect(evaluatePolicies([denyOnly], { ip: "", country: undefined, asn: undefined })).toBe("not-allowed");
    expect(evaluatePolicies([denyOnly], { ip: "not-an-ip", country: undefined, asn: undefined })).toBe("not-allowed");
    expect(evaluatePolicies([denyOnly], { ip: "198.51.100.1", country: undefined, asn: undefined })).toBe("allow");
    expect(evaluatePolicies([denyOnly], { ip: "::ffff:203.0.113.9", country: undefined, asn: undefined })).toBe("deny");
  });

  it("needs no address for a deny list without addresses", () => {
    expect(evaluatePolicies([countryDeny], { ip: "", country: "CH", asn: undefined })).toBe("allow");
    expect(evaluatePolicies([countryDeny], { ip: "", country: "KP", asn: undefined })).toBe("deny");
  });
});
