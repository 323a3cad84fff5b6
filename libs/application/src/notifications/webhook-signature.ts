import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=<hex HMAC-SHA256 of the body with the hook's secret>`: the X-Ledger-Signature header. */
export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

/** What a receiver runs (the snippet in docs/notifications.md): constant-time, over the raw body bytes. */
export const verifySignature = (secret: string, body: string, header: string | undefined | null): boolean => {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
};
