import type { PersonView } from '@app/custody';
import type { ReadersAtInstant } from '@app/application';

/** The JSON of readers pages kept while the page is (CustodyQueries keeps a page per scope and version, frozen). */
const readersJson = new WeakMap<readonly PersonView[], string>();
const READERS_KEYS = 'itemId,asOf,occurredBefore,readers,nextCursor';

/**
 * A readers answer as JSON: the kept text of its readers (19 KB a page of 100, shared by every item of a scope)
 * inside the few members of its own — what JSON.stringify(page) gives, member for member (an answer of any other
 * shape is serialized whole).
 */
export const readersAnswer = (page: ReadersAtInstant): string => {
  if (Object.keys(page).join(',') !== READERS_KEYS) return JSON.stringify(page);
  let readers = readersJson.get(page.readers);
  if (readers === undefined) {
    readers = JSON.stringify(page.readers);
    if (Object.isFrozen(page.readers)) readersJson.set(page.readers, readers);
  }
  const s = JSON.stringify;
  return `{"itemId":${s(page.itemId)},"asOf":${s(page.asOf)},"occurredBefore":${s(page.occurredBefore)},"readers":${readers},"nextCursor":${s(page.nextCursor)}}`;
};
