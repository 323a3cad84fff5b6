/**
 * One line per event, in a person's language (histories, the report draft's course of events): the catalogue's
 * `events.<Type>` message, with the event's fields put in words first — persons by name, places by name and kind,
 * levels, carriers and channels by their labels, instants as the reports write them.
 */
import { formatInstant, formatList, labelOf, translate, type Lang, type MessageKey } from './i18n';
import { en } from './catalogue.en';

/** How names are looked up: the caller knows the read models (the API) or the bundle (the CLI). */
export interface NameLookups {
  /** A person's name, or null when the ledger does not know them. */
  personName(id: string): string | null;
  /** A place's name and kind, or null. */
  place(id: string): { name: string; kind: string } | null;
}

export const noLookups: NameLookups = { personName: () => null, place: () => null };

export const personLabel = (lang: Lang, l: NameLookups, id: unknown): string => {
  if (typeof id !== 'string' || id === '') return translate(lang, 'common.nobody');
  const name = l.personName(id);
  return name ? translate(lang, 'common.personWithId', { name, id }) : id;
};

export const placeLabel = (lang: Lang, l: NameLookups, id: unknown): string => {
  if (typeof id !== 'string' || id === '') return translate(lang, 'common.unknownPlace');
  const p = l.place(id);
  return p ? translate(lang, 'common.placeWithKind', { name: p.name, kind: labelOf(lang, 'placeKinds', p.kind) }) : id;
};

/** Fields that name a person, in any event. `to` names one only in a handover (a dispatch goes to an address). */
const PERSON_FIELDS = new Set([
  'receivedBy',
  'proposedBy',
  'reviewedBy',
  'approvedBy',
  'custodian',
  'by',
  'from',
  'reader',
  'borrower',
  'returnedTo',
  'person',
  'keeper',
  'discoveredBy',
  'destroyedBy',
  'resolvedBy',
  'requestedBy',
  'refusedBy',
  'personId',
]);
const PERSON_LIST_FIELDS = new Set(['couriers', 'witnesses', 'persons', 'responsible']);
const PLACE_FIELDS = new Set(['placeId', 'destination']);
const INSTANT_FIELDS = new Set(['dueAt', 'until', 'newDeclassifyOn', 'decontaminationUntil', 'declassifyOn', 'at']);
/** Optional parts: absent reads `none` so the message's `select` leaves them out. */
const OPTIONAL = ['copyNo', 'couriers', 'requestId', 'placeId', 'itemId', 'note', 'detail'];

const str = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
};

/**
 * An incident the ledger opened itself is described `CODE[, CODE] on ITEM` (incident-policy.ts); in words that is the
 * violations' titles. A description a person wrote is theirs and stays as written.
 */
export const describeIncident = (lang: Lang, description: string): string => {
  const m = /^([A-Z][A-Z0-9_]*(?:, [A-Z][A-Z0-9_]*)*) on (\S+)$/.exec(description);
  if (!m) return description;
  const titles = formatList(
    lang,
    m[1].split(', ').map((c) => labelOf(lang, 'violations', c)),
  );
  return lang === 'zh-CN' ? `${m[2]}${titles}` : `${titles} (${m[2]})`;
};

/** The words of every field of an event's data, in `lang`. */
export const eventVars = (
  lang: Lang,
  type: string,
  data: Record<string, unknown>,
  l: NameLookups,
): Record<string, string | number> => {
  const vars: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(data)) {
    if (PERSON_FIELDS.has(k) || (k === 'to' && type === 'ItemHandedOver')) vars[k] = personLabel(lang, l, v);
    else if (PERSON_LIST_FIELDS.has(k) && Array.isArray(v))
      vars[k] = v.length
        ? formatList(
            lang,
            v.map((p) => personLabel(lang, l, p)),
          )
        : 'none';
    else if (PLACE_FIELDS.has(k)) vars[k] = v ? placeLabel(lang, l, v) : 'none';
    else if (INSTANT_FIELDS.has(k) && typeof v === 'string') vars[k] = formatInstant(lang, v);
    else if (k === 'level' || ((k === 'from' || k === 'to') && type === 'LevelChanged'))
      vars[k] = labelOf(lang, 'levels', str(v));
    else if (k === 'clearance' || (k === 'from' && type === 'ClearanceChanged'))
      vars[k] = labelOf(lang, 'clearances', str(v));
    else if (k === 'rank') vars[k] = labelOf(lang, 'ranks', str(v));
    else if (k === 'carrier') vars[k] = labelOf(lang, 'carriers', str(v));
    else if (k === 'channel') vars[k] = labelOf(lang, 'channels', str(v));
    else if (k === 'severity') vars[k] = labelOf(lang, 'severities', str(v));
    else if (k === 'kind' && type !== 'PlaceRegistered') vars[k] = labelOf(lang, 'incidentKinds', str(v));
    else if (k === 'kind') vars[k] = labelOf(lang, 'placeKinds', str(v));
    else if (typeof v === 'number') vars[k] = v;
    else if (typeof v === 'boolean') vars[k] = String(v);
    else if (Array.isArray(v)) vars[k] = v.map(str).join(', ');
    else if (v !== null && typeof v === 'object') vars[k] = JSON.stringify(v);
    else vars[k] = str(v);
  }
  for (const k of OPTIONAL) if (vars[k] === undefined || vars[k] === '') vars[k] = 'none';
  // An outsider (contract §5.1 9) reads under their own name.
  const outsider = data.outsider as { name?: string; affiliation?: string } | undefined;
  if (type === 'ItemRead' && outsider?.name)
    vars.reader = outsider.affiliation ? `${outsider.name} (${outsider.affiliation})` : outsider.name;
  if (type === 'ItemHandedOver') vars.proper = String(data.itemized === true && data.signedByBoth === true);
  if (type === 'ItemLent' || type === 'ItemCarriedOut') vars.approved = String(data.approved !== false);
  if (type === 'IncidentReported') vars.late = String(data.late === true);
  if (type === 'ItemDeclassified') vars.automatic = String(data.automatic === true);
  if (type === 'IncidentOpened' && typeof data.description === 'string')
    vars.description = describeIncident(lang, data.description);
  if (typeof data.code === 'string') vars.title = labelOf(lang, 'violations', data.code);
  if (typeof data.copies !== 'number' && data.copies !== undefined) vars.copies = Number(data.copies) || 0;
  return vars;
};

/** The line that tells a person what an event was, in `lang`; an event type no catalogue knows reads as its type. */
export const summarizeEvent = (
  lang: Lang,
  event: { type: string; data: unknown },
  l: NameLookups = noLookups,
): string => {
  if (!(event.type in en.events)) return event.type;
  const data = (event.data && typeof event.data === 'object' ? event.data : {}) as Record<string, unknown>;
  return translate(lang, `events.${event.type}` as MessageKey, eventVars(lang, event.type, data, l));
};
