import { ms } from '@app/custody';
import { type ExposureEntry } from '../exposure';
import type { ReportDraft, HarmMovement } from '../report-draft';
import { outsiderText, when, type DraftContext } from './draft-kit';

export const draftHarm = (ctx: DraftContext) => {
  const { nodes, exposure, l } = ctx;
  // (5) actual or possible harm (BG99 第4条 5). contract §5.1 point 12: only what went outside the permitted range is
  // harm — contacts outside reading scope (outsiders included), unapproved carry-outs, insecure channels, destruction
  // outside the unit, missing items; movements under an approval are listed apart, as within approval.
  const outOfScopeContacts = exposure.entries.filter((e) => !e.withinScope);
  const unentitledReadings = outOfScopeContacts.filter((e) => e.kind === 'reading');
  const outsiders = exposure.entries
    .filter((e) => e.outsider)
    .map((e) => ({
      name: e.outsider!.name,
      affiliation: e.outsider!.affiliation,
      itemId: e.itemId,
      at: e.occurredAt,
      placeName: e.placeName,
    }));
  const beyondRange: HarmMovement[] = [];
  const withinApproval: HarmMovement[] = [];
  const movement = (itemId: string, at: string, what: string, placeId: string | null): HarmMovement => ({
    itemId,
    at,
    what,
    placeId,
    placeName: placeId ? (l.placeView(placeId)?.name ?? null) : null,
  });
  for (const n of nodes)
    for (const v of n.all) {
      const d = v.event.data as Record<string, unknown>;
      const at = v.event.metadata.occurredAt;
      const codes = v.raised.map((r) => r.code);
      if (v.event.type === 'ItemCarriedOut') {
        const m = movement(
          n.itemId,
          at,
          `carried out by ${l.person(String(d.person))} to ${l.place(String(d.destination))}`,
          String(d.destination),
        );
        // An approved carry-out is within approval (contract §5.1 point 12), wherever it went.
        if (d.approved === true) withinApproval.push({ ...m, what: `${m.what}, under an approval` });
        else beyondRange.push({ ...m, what: `${m.what} without an approval` });
      }
      if (v.event.type === 'GatePassed' && codes.includes('CARRY_OUT_UNAPPROVED'))
        beyondRange.push(
          movement(n.itemId, at, `left through gate ${String(d.gate)} without a carry-out approval`, null),
        );
      if (v.event.type === 'ItemLent' && d.approved === true)
        withinApproval.push(
          movement(
            n.itemId,
            at,
            `lent to ${l.person(String(d.borrower))} under loan approval ${String(d.loanId)}`,
            null,
          ),
        );
      if (codes.includes('INSECURE_CHANNEL'))
        beyondRange.push(
          movement(n.itemId, at, `sent by ${String(d.channel)} (an insecure channel) to ${String(d.to)}`, null),
        );
      // 000 不私自销毁: destroyed at a home, a public or an outside place (contract §5.1 point 8).
      if (
        v.event.type === 'ItemDestroyed' &&
        codes.includes('DESTRUCTION_PLACE_NOT_APPROVED') &&
        ['home', 'public', 'external'].includes(String(l.placeView(String(d.placeId))?.kind))
      )
        beyondRange.push(
          movement(n.itemId, at, `destroyed at ${l.place(String(d.placeId))}, outside the unit`, String(d.placeId)),
        );
      if (v.event.type === 'ItemLost' || v.event.type === 'ItemMissing') {
        beyondRange.push(
          movement(
            n.itemId,
            at,
            v.event.type === 'ItemLost'
              ? `lost: ${String(d.circumstances)}`
              : `not found by inventory ${String(d.inventoryId)}`,
            null,
          ),
        );
      }
    }
  beyondRange.sort((a, b) => ms(a.at) - ms(b.at));
  withinApproval.sort((a, b) => ms(a.at) - ms(b.at));
  const missing = nodes
    .filter((n) => n.state?.status === 'missing')
    .map((n) => ({ itemId: n.itemId, status: 'missing' }));
  const who = (e: ExposureEntry): string => (e.outsider ? outsiderText(e.outsider) : l.person(e.personId));
  const contactLine = (e: ExposureEntry): string =>
    `- ${when(e.occurredAt)} ${e.itemId}: ${e.kind === 'reading' ? 'read' : `held (${e.how})`} by ${who(e)}` +
    `${e.placeName ? ` at ${e.placeName}` : ''} — outside reading scope (${e.reason})`;
  const unentitled = [...new Set(unentitledReadings.map(who))];
  const harmful = outOfScopeContacts.length > 0 || beyondRange.length > 0 || missing.length > 0;
  const harm: ReportDraft['harm'] = {
    text: [
      ...(outOfScopeContacts.length
        ? [
            `Actual harm: known to ${outOfScopeContacts.length === 1 ? 'one contact' : `${outOfScopeContacts.length} contacts`} outside the knowledge scope (BG99 第2条 (a)):`,
            ...outOfScopeContacts.map(contactLine),
          ]
        : []),
      ...(unentitled.length ? [`Read without being entitled by: ${unentitled.join(', ')}.`] : []),
      ...(beyondRange.length
        ? [
            `Possible harm: the item went beyond its permitted range, and nobody can show that no unentitled person learned it (BG99 第2条 (b)):`,
            ...beyondRange.map((b) => `- ${when(b.at)} ${b.itemId}: ${b.what}`),
          ]
        : []),
      ...(missing.length ? [`Still missing: ${missing.map((m) => m.itemId).join(', ')}.`] : []),
      ...(harmful
        ? []
        : ['No contact outside the knowledge scope and no movement beyond the permitted range is recorded.']),
      ...(withinApproval.length
        ? ['Within approval (not harm):', ...withinApproval.map((b) => `- ${when(b.at)} ${b.itemId}: ${b.what}`)]
        : []),
      `Exposure set (${exposure.copyTree.length} item(s) incl. copies): ${exposure.persons.length} person(s) held or read them; ` +
        `${exposure.outsideScope.persons.length} of them outside reading scope at the time (listed above).`,
    ].join('\n'),
    facts: { exposure, unentitledReadings, outOfScopeContacts, outsiders, beyondRange, withinApproval, missing },
  };

  return harm;
};
