/** What comparing one request's live and candidate decisions found (compare.ts); below the buffer that counts it. */
import type { ShadowDifference, ShadowKind } from "../../deploy/types.ts";

export interface Comparison {
  differences: ShadowDifference[];
  /** Kinds both sides evaluated (equal or not). */
  compared: ShadowKind[];
  /** Kinds the candidate could not evaluate where the live version did. */
  unknown: ShadowKind[];
  /** Whether the candidate's outcome is unknown: the request counts as unknown, not compared. */
  outcomeUnknown: boolean;
}
