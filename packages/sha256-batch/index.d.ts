/**
 * RFC 9162 interior nodes of one level: node j = SHA-256(0x01 ‖ below[64j, 64j + 64)), written to out[32j, 32j + 32).
 * Nodes j < keep are hashed only when marks[2j] or marks[2j + 1] is set, and marks[j] becomes whether node j was
 * (marks is rewritten in place, level by level); every node from keep to count is hashed. Returns how many were.
 */
export function level(below: Uint8Array, out: Uint8Array, marks: Uint8Array, keep: number, count: number): number;
/**
 * SHA-256 of `count` byte ranges of `input` (range i is input[ranges[2i], ranges[2i + 1])), the digest of range i
 * written to out[offsets[i], offsets[i] + 32).
 */
export function many(input: Uint8Array, ranges: Int32Array, count: number, out: Uint8Array, offsets: Int32Array): void;
/**
 * The verify worker's fast path over a page of rows as one buffer (libs/ledger/src/integrity/row-walk.ts describes
 * the arguments and the page's format): accepts the rows it can, in order, and stops at the first it cannot; returns
 * the offset of the row it stopped at.
 */
export function walkRows(
  page: Uint8Array,
  at: number,
  tokens: Uint8Array,
  streamTokens: Int32Array,
  typeTokens: Int32Array,
  heads: Uint8Array,
  revisions: Float64Array,
  positions: Float64Array,
  revisionsOut: Int32Array,
  leaves: Uint8Array,
  state: Float64Array,
  scratch: Uint8Array,
): number;
