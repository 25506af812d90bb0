/**
 * Amazon's content type conversions for non-proxy integrations (the two tables of "Content type conversions in
 * API Gateway"), as pure functions. A payload is *binary* when its Content-Type is one of the API's
 * binaryMediaTypes; a response is *wanted binary* when the client's first Accept type is. `contentHandling`
 * (`CONVERT_TO_TEXT` / `CONVERT_TO_BINARY`) overrides:
 *
 * - text a template can read: a binary payload that is converted to text is base64-encoded; a text payload is
 *   UTF-8 (invalid sequences become U+FFFD, as Amazon's lossy decoding — recorded);
 * - text that must leave as binary (CONVERT_TO_BINARY, or a text response for a binary Accept) is base64-decoded,
 *   and text that is not base64 is a configuration error: 500 (recorded);
 * - a binary payload that stays binary passes through untouched, and no template applies to it.
 */
import type { ContentHandling } from "../../config/integration-types.ts";
import { base64ToBytes, bytesToBase64 } from "../../templates/util.ts";

export type Payload = { binary: true; bytes: Uint8Array } | { binary: false; text: string };

const decoder = new TextDecoder();

/** Thrown when text that must become binary is not base64 (the gateway answers 500). */
export class ConversionError extends Error {}

/**
 * What a payload becomes on its way through, before any template: `payloadIsBinary` is whether its type is one of
 * binaryMediaTypes, `typesDefined` whether the API has any, `outputBinary` whether the far side wants binary
 * (response: the client's Accept; request: never, unless CONVERT_TO_BINARY).
 */
export function convertIn(bytes: Uint8Array, payloadIsBinary: boolean, typesDefined: boolean, handling: ContentHandling | null, outputBinary: boolean): Payload {
  if (!typesDefined) return { binary: false, text: decoder.decode(bytes) };
  if (payloadIsBinary) {
    if (handling === "CONVERT_TO_TEXT") return { binary: false, text: bytesToBase64(bytes) };
    if (handling === "CONVERT_TO_BINARY" || outputBinary) return { binary: true, bytes };
    // Binary data to a client that wants text: base64-encoded (recorded: rest-binary-conversion-raw-payload-binary-accept-text).
    return { binary: false, text: bytesToBase64(bytes) };
  }
  return { binary: false, text: decoder.decode(bytes) };
}

/**
 * The final bytes of a text payload (after any template): base64-decoded when it must leave as binary —
 * CONVERT_TO_BINARY, or (responses, with no contentHandling) a text payload for a client whose Accept is binary.
 */
export function convertOut(text: string, handling: ContentHandling | null, decodeForBinaryAccept: boolean): Uint8Array | string {
  const decode = handling === "CONVERT_TO_BINARY" || (handling === null && decodeForBinaryAccept);
  if (!decode) return text;
  const bytes = base64ToBytes(text);
  if (!bytes) throw new ConversionError("the payload is not base64, so it cannot be converted to binary");
  return bytes;
}
