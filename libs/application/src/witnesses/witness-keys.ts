import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ed25519CosignatureVerifier, parseVkey, SIG_TYPE_COSIGNATURE_V1, type CosignatureVerifier } from '@app/ledger';

/**
 * A witness's cosignature verifier from its public key: a cosignature vkey (type 0x04, as `witness serve` prints
 * it; its name must be the witness's) or an SPKI PEM — given inline or as the path of a file holding either.
 */
export const witnessVerifier = (name: string, publicKey: string): CosignatureVerifier => {
  const content =
    !publicKey.includes('+') && !publicKey.startsWith('-----') && existsSync(publicKey)
      ? readFileSync(publicKey, 'utf8').trim()
      : publicKey.trim();
  if (content.startsWith('-----BEGIN')) return ed25519CosignatureVerifier(name, createPublicKey(content));
  const parsed = parseVkey(content);
  if (parsed.name !== name) throw new Error(`the witness key is named ${parsed.name}, not ${name}`);
  if (parsed.type !== SIG_TYPE_COSIGNATURE_V1)
    throw new Error(`the key of witness ${name} is not a cosignature/v1 (0x04) key`);
  return ed25519CosignatureVerifier(name, parsed.publicKey);
};
