/** Destruction (002 第25条: approved, two supervising witnesses) and loss. */
import { itemStream } from '../../shared/streams';
import { incidentKindFor, incidentWrites } from '../../incident/incident-policy';
import type { ItemEvent } from '../item.events';
import type { Level, PlaceKind } from '../../shared/vocabulary';
import {
  uniq,
  itemOf,
  personOf,
  placeOf,
  approverOf,
  classified,
  requireRank,
  type Finding,
  factWrites,
  write,
  single,
  type Decide,
} from '../item.decide-kit';

/** Where each level may be destroyed (001_6188e2007563e3a6.txt (十)销毁保密; contract §5.1 point 8). */
export const DESTRUCTION_PLACES: Record<Level, readonly PlaceKind[]> = {
  TOP_SECRET: ['vault', 'archive', 'office', 'destruction-site'],
  SECRET: ['destruction-site'],
  CONFIDENTIAL: ['destruction-site'],
};

export const approveDestruction: Decide<'ApproveDestruction'> = (cmd, ctx) => {
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  // 001 (十)销毁保密: 必须先经领导审批 — director+, executive for TOP_SECRET (contract §5).
  requireRank(
    approver,
    item.level === 'TOP_SECRET' ? 'executive' : 'director',
    `approving the destruction of a ${item.level} item`,
  );
  if (item.destructionApproved) return [];
  return single(itemStream(item.itemId), {
    type: 'DestructionApproved',
    data: { itemId: item.itemId, approvedBy: cmd.actor, at: cmd.at },
  } satisfies ItemEvent);
};

export const recordDestruction: Decide<'RecordDestruction'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  const place = placeOf(ctx, d.placeId, 'placeId');
  const witnesses = uniq(d.witnesses).map((w) => personOf(ctx, w, 'witnesses'));
  const fact: ItemEvent = {
    type: 'ItemDestroyed',
    data: {
      itemId: item.itemId,
      method: d.method,
      placeId: d.placeId,
      witnesses: uniq(d.witnesses),
      destroyedBy: cmd.actor,
      approved: item.destructionApproved,
      at: cmd.at,
    },
  };
  return factWrites(
    cmd,
    ctx,
    item,
    [fact],
    () => {
      const found: Finding[] = [];
      // 001 (十)销毁保密: 必须先经领导审批.
      if (!item.destructionApproved)
        found.push({ code: 'DESTRUCTION_UNAPPROVED', personId: cmd.actor, detail: 'destroyed without an approval' });
      // 002 第25条 5: 指定专人监销, 两人以上参加 — the destroyer does not supervise themself.
      // 001 (十)销毁保密: 秘密、机密级文件应派专人护送到指定的造纸厂监督销毁; 绝密文件…应指定专人在本单位焚烧干净
      // (contract §5.1 point 8). 000 不私自销毁: at a home, a public or an outside place it is also a suspected leak.
      if (!DESTRUCTION_PLACES[item.level].includes(place.kind))
        found.push({
          code: 'DESTRUCTION_PLACE_NOT_APPROVED',
          personId: cmd.actor,
          incident: incidentKindFor('DESTRUCTION_PLACE_NOT_APPROVED', { destinationKind: place.kind }),
          detail: `${item.level} destroyed at ${d.placeId} (${place.kind}); allowed: ${DESTRUCTION_PLACES[item.level].join(', ')}`,
        });
      // 000 离岗脱密管理: one who has left the unit is nobody's 指定专人 and supervises nothing (judged as things stood).
      const others = witnesses.filter((w) => w.personId !== cmd.actor);
      const supervisors = others.filter((w) => !w.departed);
      if (supervisors.length < 2) {
        const gone = others.length - supervisors.length;
        found.push({
          code: 'DESTRUCTION_WITNESSES_LT2',
          personId: cmd.actor,
          detail: `${supervisors.length} supervising witness(es)${gone ? `, ${gone} more departed` : ''}`,
        });
      }
      return found;
    },
    cmd.actor,
  );
};

export const recordLoss: Decide<'RecordLoss'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  personOf(ctx, d.discoveredBy, 'discoveredBy');
  const lost = (incidentId: string | null): ItemEvent => ({
    type: 'ItemLost',
    data: { itemId: item.itemId, discoveredBy: d.discoveredBy, circumstances: d.circumstances, incidentId, at: cmd.at },
  });
  if (item.status === 'destroyed') return factWrites(cmd, ctx, item, [lost(null)], () => [], d.discoveredBy);
  // A declassified item is no longer secret: its loss is recorded, it is no secrecy incident.
  if (item.declassified) return single(itemStream(item.itemId), lost(null));
  // 001 (九)清查保密: 发现有丢失的要及时追查 — a loss opens (or joins) a `loss` incident; nobody holds the item.
  const kind = incidentKindFor('ItemLost') ?? 'loss';
  const { incidentIds, writes } = incidentWrites(
    cmd,
    [{ itemId: item.itemId, code: 'ItemLost', violationId: null, personId: d.discoveredBy, kind }],
    ctx,
  );
  return [write(itemStream(item.itemId), [lost(incidentIds[item.itemId] ?? null)]), ...writes];
};
