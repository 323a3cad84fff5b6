/** Custody on the move and in use: dispatch and receipt, handover, readings, scope extensions, archive, the gate. */
import { InvalidCommand } from '../../shared/errors';
import { itemStream } from '../../shared/streams';
import type { Command } from '../../shared/command';
import type { PersonView } from '../../shared/views';
import { atLeastRank, INSECURE_CHANNELS } from '../../shared/vocabulary';
import { incidentKindFor } from '../../incident/incident-policy';
import type { ItemEvent } from '../item.events';
import { activeCarryOutApproval, type ItemRecord } from '../item.state';
import { addHours, RECEIPT_HOURS } from '../item.deadlines';
import {
  READING_PLACES,
  ms,
  uniq,
  itemOf,
  maybePerson,
  personOf,
  placeOf,
  approverOf,
  classified,
  onCopies,
  requireRank,
  type Finding,
  factWrites,
  accessFinding,
  inTimeAfterAll,
  appendTo,
  single,
  type Decide,
} from '../item.decide-kit';

/** ACCESS_AFTER_DEPARTURE for one who has left and now holds the item (as things stood at the command's `at`). */
const departedHolder = (cmd: Command, holder: PersonView, item: ItemRecord, what: string): Finding[] => {
  const access = accessFinding(cmd, holder, item, what);
  return access?.code === 'ACCESS_AFTER_DEPARTURE' ? [access] : [];
};

export const dispatchItem: Decide<'DispatchItem'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  personOf(ctx, d.to, 'to');
  const courierIds = uniq(d.couriers ?? []);
  const couriers = courierIds.map((c) => personOf(ctx, c, 'couriers'));
  if (d.approvedBy !== undefined) personOf(ctx, d.approvedBy, 'approvedBy');
  const fact: ItemEvent = {
    type: 'ItemDispatched',
    data: {
      itemId: item.itemId,
      from: item.custodian,
      to: d.to,
      channel: d.channel,
      couriers: courierIds,
      approvalRef: d.approvalRef ?? null,
      ...(d.approvedBy !== undefined ? { approvedBy: d.approvedBy } : {}),
      custodian: couriers[0]?.personId ?? null,
      by: cmd.actor,
      at: cmd.at,
    },
  };
  return factWrites(cmd, ctx, item, [fact], () => {
    const found: Finding[] = [];
    // 保密法 第28/29条; 001 (四)传递保密: never ordinary post or express, not over public networks; encrypted fax needs an approval.
    if (
      (INSECURE_CHANNELS as readonly string[]).includes(d.channel) ||
      (d.channel === 'encrypted-fax' && !d.approvalRef && d.approvedBy === undefined)
    ) {
      found.push({
        code: 'INSECURE_CHANNEL',
        personId: cmd.actor,
        incident: incidentKindFor('INSECURE_CHANNEL'),
        detail: `sent by ${d.channel}`,
      });
    }
    // 001 (四)传递保密: 机要人员传递绝密文件应实行两人护送制 — two of the unit's confidential staff; one who has left
    // (000 离岗脱密管理) is none of them and does not count.
    const escorts = couriers.filter((c) => !c.departed);
    if (item.level === 'TOP_SECRET' && (d.channel === 'hand' || d.channel === 'courier') && escorts.length < 2) {
      const gone = couriers.length - escorts.length;
      found.push({
        code: 'TS_ESCORT_LT2',
        personId: cmd.actor,
        detail: `TOP_SECRET carried by ${couriers.length} courier(s)${gone ? `, ${gone} of them departed` : ''}`,
      });
    }
    // 002 第20条 5: 严禁让试用期员工发送保密文件 — once per courier on probation, and the dispatcher on probation
    // whatever the channel (contract §5.1 point 13: sending by post or fax is sending too).
    const onProbation = (p: PersonView) => p.probationUntil !== null && ms(p.probationUntil) > ms(cmd.at);
    const dispatcher = maybePerson(ctx, cmd.actor);
    const senders = [...couriers, ...(dispatcher && !courierIds.includes(dispatcher.personId) ? [dispatcher] : [])];
    for (const p of senders.filter(onProbation)) {
      found.push({
        code: 'TRIAL_EMPLOYEE_TRANSMIT',
        personId: p.personId,
        idSuffix: p.personId,
        detail: `${p.personId} is on probation until ${p.probationUntil}`,
      });
    }
    return found;
  });
};

export const acknowledgeReceipt: Decide<'AcknowledgeReceipt'> = (cmd, ctx) => {
  const item = itemOf(ctx, cmd.data.itemId);
  const signer = personOf(ctx, cmd.data.by, 'by');
  const addressee = item.dispatch ? maybePerson(ctx, item.dispatch.to) : null;
  // 签收: custody passes to the signer; a late receipt (after RECEIPT_MISSING) is still recorded.
  const findings = (): Finding[] => {
    if (!addressee) return [];
    // The addressee signing is the receipt asked for; but one who has left since the dispatch (000 离岗脱密管理; 002
    // 第30条: a leaver hands everything back) now holds what they may no longer read (BG99 第2条 (a)). Whom to send it
    // to was the sender's choice: an addressee outside the scope is not flagged at the receipt (docs/decisions.md).
    if (addressee.personId === signer.personId) return departedHolder(cmd, signer, item, 'signed for');
    const found: Finding[] = [];
    // 002 第20条 3: 保密文件应由发文部门负责人或其指定人员签收, 不得交给其他人 — the addressee, or a director or above
    // of the addressee's unit (contract §5.1 point 7).
    // A director who has left is no 负责人 of the unit any more (000 离岗脱密管理).
    const unitHead = signer.unit === addressee.unit && atLeastRank(signer.rank, 'director') && !signer.departed;
    if (!unitHead)
      found.push({
        code: 'RECEIPT_BY_OTHER',
        personId: signer.personId,
        detail: `addressed to ${addressee.personId}, signed for by ${signer.personId} (${signer.rank}, ${signer.unit})`,
      });
    // The signer holds it now: one not entitled to read it has it in hand (BG99 第2条 (a)).
    const access = accessFinding(cmd, signer, item, 'signed for');
    if (access) found.push(access);
    return found;
  };
  // 001 (一)收文保密 件件有着落: a receipt signed within the 48 h answers RECEIPT_MISSING even when typed in later.
  const resolved = item.dispatch
    ? inTimeAfterAll(cmd, ctx, item, 'RECEIPT_MISSING', addHours(item.dispatch.at, RECEIPT_HOURS), 'signed for')
    : [];
  const writes = factWrites(
    cmd,
    ctx,
    item,
    [
      {
        type: 'ReceiptAcknowledged',
        data: { itemId: item.itemId, by: cmd.data.by, dispatchRevision: item.dispatch?.revision ?? null, at: cmd.at },
      } satisfies ItemEvent,
    ],
    findings,
    cmd.data.by,
  );
  return appendTo(writes, itemStream(item.itemId), resolved);
};

export const handOver: Decide<'HandOver'> = (cmd, ctx) => {
  const d = cmd.data;
  if (!d.items.length) throw new InvalidCommand('items', 'at least one item is handed over');
  const list = uniq(d.items).map((id) => itemOf(ctx, id, 'items'));
  personOf(ctx, d.from, 'from');
  const taker = personOf(ctx, d.to, 'to');
  const supervisor = d.supervisor ? personOf(ctx, d.supervisor, 'supervisor') : null;
  // 001 (七)交接保密 / 002 第17条: 造册、核对、签字, 交由主管领导签字 — 决不能搞"信任交接". The supervisor is a director
  // or above (contract §5.1 point 11), someone other than the two who hand over and take over (a party cannot
  // supervise its own handover), and still in office (000 离岗脱密管理).
  const supervisorGap = (): string[] => {
    if (!supervisor) return ['no supervisor signed'];
    if (!atLeastRank(supervisor.rank, 'director'))
      return [`supervisor ${supervisor.personId} is ${supervisor.rank}, not a director or above`];
    if (supervisor.personId === d.from || supervisor.personId === d.to)
      return [`supervisor ${supervisor.personId} is a party to the handover`];
    if (supervisor.departed) return [`supervisor ${supervisor.personId} has departed`];
    return [];
  };
  const gaps = [
    ...(d.itemized ? [] : ['not itemized']),
    ...(d.signedByBoth ? [] : ['not signed by both']),
    ...supervisorGap(),
  ];
  // S1 (七); S2 第30条 (contract §5.1 point 6): an item out on loan stays with its borrower; what passes is the right
  // to have it back. A handover by the borrower is a custody move like any other; the loan stays as it was.
  const onLoanTo = (item: (typeof list)[number]) =>
    item.status === 'on-loan' && item.loan && d.from !== item.loan.borrower ? item.loan.borrower : undefined;
  return list.flatMap((item) =>
    factWrites(
      cmd,
      ctx,
      item,
      [
        {
          type: 'ItemHandedOver',
          data: {
            itemId: item.itemId,
            handoverId: d.handoverId,
            from: d.from,
            to: d.to,
            itemized: d.itemized,
            signedByBoth: d.signedByBoth,
            supervisor: d.supervisor ?? null,
            ...(onLoanTo(item) !== undefined ? { onLoanTo: onLoanTo(item) } : {}),
            at: cmd.at,
          },
        } satisfies ItemEvent,
      ],
      () => {
        const found: Finding[] = gaps.length
          ? [{ code: 'TRUST_HANDOVER', personId: d.from, detail: `handover ${d.handoverId}: ${gaps.join(', ')}` }]
          : [];
        // 001 (七)交接保密 造册、核对: the one taking over checks the items and holds them; one who has left the unit
        // (000 离岗脱密管理; 002 第30条: a leaver hands everything back) has in hand what they may no longer read (BG99
        // 第2条 (a)). An item out on loan stays with its borrower and is not in the taker's hands. A taker merely
        // outside the reading scope is not flagged (the contract's HandOver asks only for 信任交接; docs/decisions.md).
        return onLoanTo(item) ? found : [...found, ...departedHolder(cmd, taker, item, 'taken over')];
      },
      d.to,
    ),
  );
};

export const recordReading: Decide<'RecordReading'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  if ((d.reader === undefined) === (d.outsider === undefined))
    throw new InvalidCommand('reader', 'give exactly one of reader (a registered person) or outsider');
  if (d.outsider && !(typeof d.outsider.name === 'string' && d.outsider.name.trim()))
    throw new InvalidCommand('outsider.name', 'must not be empty');
  const reader = d.reader !== undefined ? personOf(ctx, d.reader, 'reader') : null;
  const place = placeOf(ctx, d.placeId, 'placeId');
  const counted = READING_PLACES.includes(place.kind);
  const outsider = d.outsider ? { name: d.outsider.name.trim(), affiliation: d.outsider.affiliation ?? null } : null;
  const fact: ItemEvent = {
    type: 'ItemRead',
    data: {
      itemId: item.itemId,
      reader: reader?.personId ?? null,
      ...(outsider ? { outsider } : {}),
      placeId: d.placeId,
      placeKind: place.kind,
      counted,
      at: cmd.at,
    },
  };
  const who = reader?.personId ?? `outsider ${outsider!.name}`;
  return factWrites(
    cmd,
    ctx,
    item,
    [fact],
    () => {
      const found: Finding[] = [];
      const access = reader
        ? accessFinding(cmd, reader, item, 'read')
        : // BG99 第2条 (a); contract §5.1 point 9: someone who is not registered is never in the knowledge scope.
          {
            code: 'OUT_OF_SCOPE_ACCESS' as const,
            personId: null,
            incident: incidentKindFor('OUT_OF_SCOPE_ACCESS'),
            detail: `read by outsider ${outsider!.name}${outsider!.affiliation ? ` (${outsider!.affiliation})` : ''} at ${cmd.at}`,
          };
      if (access) found.push(access);
      // 001 (二)阅文保密 3: 阅读秘密文件要在办公室或阅文室进行, 不得擅自带回家中.
      if (!counted)
        found.push({
          code: 'READ_OUTSIDE_APPROVED_PLACE',
          personId: reader?.personId ?? null,
          detail: `read by ${who} at ${d.placeId} (${place.kind})`,
        });
      return found;
    },
    reader?.personId ?? null,
  );
};

export const extendScope: Decide<'ExtendScope'> = (cmd, ctx) => {
  // A scope extension on a copy admits the persons to that copy and the copies made from it; one on the original
  // admits them to the whole tree.
  const item = classified(itemOf(ctx, cmd.data.itemId));
  const approver = approverOf(ctx, cmd);
  // 001 (二)阅文保密 2: 未经领导同意, 不得自行扩大阅读范围 — director+, executive for TOP_SECRET (contract §5).
  requireRank(
    approver,
    item.level === 'TOP_SECRET' ? 'executive' : 'director',
    `extending the scope of a ${item.level} item`,
  );
  if (!cmd.data.persons.length) throw new InvalidCommand('persons', 'at least one person');
  cmd.data.persons.forEach((p) => personOf(ctx, p, 'persons'));
  const wanted = uniq(cmd.data.persons);
  const added = wanted.filter((p) => !item.extendedTo.includes(p));
  // contract §5.1 point 4 (001 (三)5 复印件等同原件管理): whoever may read the original may read its copies.
  const onCopyTree = onCopies(ctx, item, (c) => {
    const more = wanted.filter((p) => !c.extendedTo.includes(p));
    return more.length
      ? {
          type: 'ScopeExtended',
          data: { itemId: c.itemId, persons: more, approvedBy: cmd.actor, at: cmd.at, followsOriginal: item.itemId },
        }
      : null;
  });
  if (!added.length) return onCopyTree;
  return [
    ...single(itemStream(item.itemId), {
      type: 'ScopeExtended',
      data: { itemId: item.itemId, persons: added, approvedBy: cmd.actor, at: cmd.at },
    } satisfies ItemEvent),
    ...onCopyTree,
  ];
};

export const archiveItem: Decide<'ArchiveItem'> = (cmd, ctx) => {
  const item = itemOf(ctx, cmd.data.itemId);
  placeOf(ctx, cmd.data.placeId, 'placeId');
  // 001 (八)归档: the archive keeper (the actor) becomes custodian.
  return factWrites(
    cmd,
    ctx,
    item,
    [
      {
        type: 'ItemArchived',
        data: { itemId: item.itemId, placeId: cmd.data.placeId, keeper: cmd.actor, at: cmd.at },
      } satisfies ItemEvent,
    ],
    () => [],
    cmd.actor,
  );
};

export const recordGatePassage: Decide<'RecordGatePassage'> = (cmd, ctx) => {
  const d = cmd.data;
  const item = itemOf(ctx, d.itemId);
  const fact: ItemEvent = {
    type: 'GatePassed',
    data: { itemId: item.itemId, gate: d.gate, direction: d.direction, at: cmd.at },
  };
  return factWrites(
    cmd,
    ctx,
    item,
    [fact],
    () => {
      if (d.direction === 'in') return [];
      // RFID door (RULEBOOK products): an exit is covered by an active approval, or by a carry-out made under one;
      // the gate does not use the approval up.
      const covered =
        activeCarryOutApproval(item, cmd.at) >= 0 || (item.status === 'carried-out' && item.carriedOutApproved);
      return covered
        ? []
        : [
            {
              code: 'CARRY_OUT_UNAPPROVED',
              personId: item.custodian,
              detail: `left through ${d.gate} without a carry-out approval`,
            },
          ];
    },
    item.custodian,
  );
};
