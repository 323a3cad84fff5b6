import { createHash, hash as oneShotHash } from 'node:crypto';

// crypto.hash (Node >= 20.12) hashes without a Hash object: several times cheaper for a short name, and every event
// of every command gets an id this way.
const sha256Hex: (name: string) => string =
  typeof oneShotHash === 'function'
    ? (name) => oneShotHash('sha256', name, 'hex')
    : (name) => createHash('sha256').update(name).digest('hex');

const HEX = '0123456789abcdef';

/**
 * A UUID (RFC 4122 layout, version 5 nibble) derived from a name with SHA-256. The same name always gives the same
 * id, so a retried command or a replayed deadline produces the same event ids and the store appends nothing twice.
 * EventStoreDB requires event ids to be UUIDs, hence the layout.
 */
export const deterministicUuid = (name: string): string => {
  const hex = sha256Hex(name);
  // The first 16 bytes of the digest with byte 6's high nibble set to 5 (the version: hex digit 12) and byte 8's
  // two high bits to 10 (the variant: hex digit 16 keeps its low two bits, plus 8), written on the hex digits.
  const variant = HEX[(parseInt(hex[16], 16) & 0x3) | 0x8];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

export const eventIdFor = (commandId: string, streamId: string, index: number): string =>
  deterministicUuid(`${commandId}\u0000${streamId}\u0000${index}`);
