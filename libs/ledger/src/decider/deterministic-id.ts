import { createHash } from 'node:crypto';

/**
 * A UUID (RFC 4122 layout, version 5 nibble) derived from a name with SHA-256. The same name always gives the same
 * id, so a retried command or a replayed deadline produces the same event ids and the store appends nothing twice.
 * EventStoreDB requires event ids to be UUIDs, hence the layout.
 */
export const deterministicUuid = (name: string): string => {
  const h = createHash('sha256').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

export const eventIdFor = (commandId: string, streamId: string, index: number): string =>
  deterministicUuid(`${commandId}\u0000${streamId}\u0000${index}`);
