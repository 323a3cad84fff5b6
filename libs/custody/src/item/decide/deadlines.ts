/** Deadlines on the item stream, fired by the scheduler at the due instant (contract §5). */
import { itemStream, parseStream } from '../../shared/streams';
import { violation, violationIdFor, type ViolationCode } from '../../rules/violations';
import { incidentKindFor, incidentWrites } from '../../incident/incident-policy';
import { addHours, addYears, GATE_RETURN_HOURS, RECEIPT_HOURS } from '../item.deadlines';
import { flagKey } from '../item.state';
import { ms, loadedItem, single, write, type Decide } from '../item.decide-kit';
import { declassificationWrites } from './period';

/** Deadlines fire at their due instant; each flags once, and only when the obligation is still unmet. */
export const fireDeadline: Decide<'FireDeadline'> = (cmd, ctx) => {
  const deadline = cmd.data.deadline;
  const item = loadedItem(ctx, parseStream(deadline.streamId)?.id ?? '');
  if (!item || item.status === 'destroyed' || item.status === 'draft') return [];
  const streamId = itemStream(item.itemId);
  const at = { commandId: cmd.commandId, at: deadline.dueAt };
  const flagged = (code: ViolationCode) => item.flagged.includes(flagKey(code, deadline.dueAt));
  const due = ms(deadline.dueAt);
  switch (deadline.kind) {
    case 'RECEIPT_MISSING': {
      // 001 (一)收文保密: 件件有着落 — 48 h after the dispatch and still no receipt.
      // 保密法 第24条 自行解密: once declassified it is no state secret, and its rules no longer apply (as for facts).
      const pending = item.dispatch;
      if (!pending || item.declassified || flagged('RECEIPT_MISSING')) return [];
      if (
        deadline.ref !== undefined
          ? deadline.ref !== String(pending.revision)
          : ms(addHours(pending.at, RECEIPT_HOURS)) !== due
      )
        return [];
      return single(
        streamId,
        violation(at, 'RECEIPT_MISSING', {
          itemId: item.itemId,
          personId: pending.to,
          detail: `no receipt from ${pending.to} within ${RECEIPT_HOURS} h of the dispatch at ${pending.at}`,
        }),
      );
    }
    case 'LOAN_OVERDUE': {
      // 001 (九)清查保密: 借出去的应按时清退 — of a secret; one declassified meanwhile (保密法 第24条) owes no 清退.
      const loan = item.loan;
      if (
        !loan ||
        item.declassified ||
        flagged('LOAN_OVERDUE') ||
        ms(loan.dueAt) !== due ||
        (deadline.ref !== undefined && deadline.ref !== loan.loanId)
      )
        return [];
      return single(
        streamId,
        violation(at, 'LOAN_OVERDUE', {
          itemId: item.itemId,
          personId: loan.borrower,
          detail: `loan ${loan.loanId} was due at ${loan.dueAt}`,
        }),
      );
    }
    case 'DECLASSIFY':
      // 保密法 第24条: 保密期限已满的, 自行解密 — unless extended before (the extension moved declassifyOn).
      // contract §5.1 point 4: a copy has no deadline of its own (a v1 store may still hold one); it follows its
      // original, and the original's expiry declassifies every copy in its tree.
      if (item.copyOf || item.declassified || !item.declassifyOn || ms(item.declassifyOn) !== due) return [];
      return declassificationWrites(ctx, item, {
        reason: 'secrecy period expired',
        automatic: true,
        by: null,
        at: deadline.dueAt,
      });
    case 'TS_INVENTORY_OVERDUE': {
      // 001 (九)清查保密: a TOP_SECRET item must be sighted by an inventory at least once a year.
      if (item.level !== 'TOP_SECRET' || item.declassified || flagged('TS_INVENTORY_OVERDUE')) return [];
      if (item.lastSightedAt && ms(item.lastSightedAt) > ms(addYears(deadline.dueAt, -1))) return [];
      return single(
        streamId,
        violation(at, 'TS_INVENTORY_OVERDUE', {
          itemId: item.itemId,
          personId: item.custodian,
          detail: `not sighted by an inventory in the year to ${deadline.dueAt}`,
        }),
      );
    }
    case 'ITEM_NOT_BROUGHT_BACK': {
      // BG99 第2条 (b); 001 (五)携带保密: an unapproved exit through the gate, and the item still not back a day later,
      // went beyond the permitted range (contract §5.1 point 10) — a suspected leak, as a carry-out to home or public.
      const exit = item.gateExit;
      if (!exit?.unapproved || item.declassified || item.status === 'missing' || flagged('ITEM_NOT_BROUGHT_BACK'))
        return [];
      if (
        deadline.ref !== undefined
          ? deadline.ref !== String(exit.revision)
          : ms(addHours(exit.at, GATE_RETURN_HOURS)) !== due
      )
        return [];
      const fire = { ...cmd, at: deadline.dueAt };
      const kind = incidentKindFor('ITEM_NOT_BROUGHT_BACK');
      const violationId = violationIdFor(fire, 'ITEM_NOT_BROUGHT_BACK', item.itemId, item.custodian);
      const incidents = kind
        ? incidentWrites(
            fire,
            [{ itemId: item.itemId, code: 'ITEM_NOT_BROUGHT_BACK', personId: item.custodian, violationId, kind }],
            ctx,
          )
        : { incidentIds: {} as Record<string, string>, writes: [] };
      return [
        write(streamId, [
          violation(fire, 'ITEM_NOT_BROUGHT_BACK', {
            itemId: item.itemId,
            personId: item.custodian,
            level: item.level,
            detail: `left through the gate at ${exit.at} without a carry-out approval; not back within ${GATE_RETURN_HOURS} h`,
            incidentId: incidents.incidentIds[item.itemId],
          }),
        ]),
        ...incidents.writes,
      ];
    }
    default:
      // Incident deadlines are decided by the incident module.
      return [];
  }
};
