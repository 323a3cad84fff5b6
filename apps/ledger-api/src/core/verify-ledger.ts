import type { EventStore, RecordedEvent } from '@app/ledger/store/event-store.port';
import { ChainVerifier } from '@app/ledger/integrity/verify';

/** Walks the whole global log page by page and checks every stream's hash chain. */
export const verifyLedger = async (store: EventStore, onProgress?: (checked: number) => void) => {
  const verifier = new ChainVerifier();
  let after: number | undefined;
  let checked = 0;
  for (;;) {
    const page: RecordedEvent[] = await store.readAll({ after, maxCount: 2000 });
    if (page.length === 0) break;
    for (const e of page) verifier.check(e);
    checked += page.length;
    onProgress?.(checked);
    after = page[page.length - 1].position;
  }
  return verifier.result();
};
