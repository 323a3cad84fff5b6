// TEMPORARY local check (deleted before hand-off): replays /work/shared/scenarios through the domain with an in-memory store.
import * as fs from 'fs';
import * as path from 'path';
import type { CustodyCommand, Deadline } from '../commands';
import { decideCommand, evolveStream, initialStateOf, planCommand } from '../domain';
import { emptyContext, type DomainEvent } from '../shared/command';
import { deadlineChanges } from '../rules/deadlines';
import { mayRead } from '../rules/reading-scope';
import { itemView, type ItemState } from './item.state';
import { personView, type PersonState } from '../person';
import { incidentView, isReportOverdue, type IncidentState } from '../incident';
import { parseStream } from '../shared/streams';

const dir = '/work/shared/scenarios';
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

const runScenario = (file: string) => {
  const sc = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const store = new Map<string, DomainEvent[]>();
  const deadlines = new Map<string, Deadline>();
  const problems: string[] = [];
  let n = 0;
  const fold = (s: string) => (store.get(s) ?? []).reduce((st, e) => evolveStream(s, st, e), initialStateOf(s));
  const streamsOf = (kind: string) => [...store.keys()].filter((s) => parseStream(s)?.kind === kind);
  const incidents = () => streamsOf('incident').map((s) => incidentView(fold(s) as IncidentState)!).filter(Boolean);
  const allViolations = () => {
    const out: any[] = [];
    const resolved = new Set<string>();
    for (const [s, evs] of store) for (const e of evs) {
      if (e.type === 'ViolationDetected') out.push({ ...(e.data as any), streamId: s });
      if (e.type === 'ViolationResolved') resolved.add((e.data as any).violationId);
    }
    return out.map((v) => ({ ...v, status: resolved.has(v.violationId) ? 'resolved' : 'open' }));
  };
  const run = (cmd: CustodyCommand) => {
    const ctx = emptyContext();
    for (let i = 0; i < 8; i++) {
      const needs = planCommand(cmd, ctx);
      let asked = false;
      for (const s of needs.streams ?? []) if (!(s in ctx.streams)) { ctx.streams[s] = { state: fold(s), revision: (store.get(s)?.length ?? 0) - 1 }; asked = true; }
      for (const it of needs.openIncidentsFor ?? []) if (!(it in ctx.openIncidents)) {
        const open = incidents().find((v) => v.itemIds.includes(it) && v.closedAt === null);
        ctx.openIncidents[it] = open ? { incidentId: open.incidentId, kind: open.kind } : null; asked = true;
      }
      for (const p of needs.itemsHeldBy ?? []) if (!(p in ctx.itemsHeldBy)) {
        ctx.itemsHeldBy[p] = streamsOf('item').map((s) => itemView(fold(s) as ItemState)!).filter((v) => v && v.custodian === p).map((v) => v.itemId); asked = true;
      }
      if (needs.itemsInScope && !ctx.itemsInScope) {
        const sc2: any = needs.itemsInScope;
        ctx.itemsInScope = streamsOf('item').map((s) => itemView(fold(s) as ItemState)!).filter((v) => v && ['active', 'archived'].includes(v.status)
          && (sc2.all || (sc2.custodian && v.custodian === sc2.custodian) || (sc2.placeId && v.placeId === sc2.placeId))).map((v) => v.itemId);
        asked = true;
      }
      for (const v of needs.violations ?? []) if (!(v in ctx.violations)) {
        const f = allViolations().find((x) => x.violationId === v);
        ctx.violations[v] = f ? { violationId: v, streamId: f.streamId, code: f.code, itemId: f.itemId, status: f.status } : null; asked = true;
      }
      if (!asked) break;
    }
    const writes = decideCommand(cmd, ctx);
    for (const w of writes) {
      const list = store.get(w.streamId) ?? [];
      for (const e of w.events) {
        list.push(e);
        const ch = deadlineChanges({ streamId: w.streamId, revision: list.length - 1, type: e.type, data: e.data, occurredAt: cmd.at });
        for (const k of ch.clear) deadlines.delete(k);
        for (const d of ch.set) deadlines.set(d.key, d);
      }
      store.set(w.streamId, list);
    }
    return writes;
  };
  const fire = (now: string) => {
    for (;;) {
      const due = [...deadlines.values()].filter((d) => new Date(d.dueAt) <= new Date(now)).sort((a, b) => a.dueAt.localeCompare(b.dueAt))[0];
      if (!due) return;
      deadlines.delete(due.key);
      run({ type: 'FireDeadline', data: { deadline: due }, commandId: `dl:${due.key}:${due.dueAt}`, actor: 'scheduler', at: due.dueAt } as CustodyCommand);
    }
  };
  const resolveRefs = (data: any) => JSON.parse(JSON.stringify(data), (_k, v) => {
    if (typeof v === 'string' && v.startsWith('@incident:')) {
      const item = v.slice(10); const list = incidents().filter((i) => i.itemIds.includes(item));
      return (list.find((i) => i.closedAt === null) ?? list[list.length - 1])?.incidentId;
    }
    return v;
  });
  for (const step of sc.steps) {
    fire(step.at);
    n++;
    if (step.command) {
      const cmd = { type: step.command, data: resolveRefs(step.data), commandId: `c${n}`, actor: step.actor, at: step.at } as CustodyCommand;
      try {
        run(cmd);
        if (step.expectError) problems.push(`step ${n} ${step.command}: expected ${step.expectError}, accepted`);
      } catch (e: any) {
        if (step.expectError !== e.code) problems.push(`step ${n} ${step.command}: threw ${e.code ?? e.message}, expected ${step.expectError ?? 'success'}`);
      }
      continue;
    }
    const x = step.expect;
    const item = (id: string) => itemView(fold(`item-${id}`) as ItemState);
    for (const [id, c] of Object.entries(x.custodian ?? {})) if (item(id)?.custodian !== c) problems.push(`step ${n}: custodian ${id} = ${item(id)?.custodian}, expected ${c}`);
    for (const [id, c] of Object.entries(x.status ?? {})) if (item(id)?.status !== c) problems.push(`step ${n}: status ${id} = ${item(id)?.status}, expected ${c}`);
    for (const [id, rs] of Object.entries(x.readers ?? {})) {
      const got = streamsOf('person').map((s) => personView(fold(s) as PersonState)!).filter((p) => mayRead(p, item(id)!)).map((p) => p.personId).sort();
      if (JSON.stringify(got) !== JSON.stringify([...(rs as string[])].sort())) problems.push(`step ${n}: readers ${id} = ${got}, expected ${rs}`);
    }
    const vs = allViolations();
    if (x.violationCount !== undefined && vs.length !== x.violationCount) problems.push(`step ${n}: ${vs.length} violations (${vs.map((v) => v.code + '/' + v.itemId)}), expected ${x.violationCount}`);
    const used = new Set<number>();
    for (const want of x.violations ?? []) {
      const i = vs.findIndex((v, j) => !used.has(j) && Object.entries(want).every(([k, val]) => v[k] === val));
      if (i < 0) problems.push(`step ${n}: no violation ${JSON.stringify(want)}`); else used.add(i);
    }
    const inc = incidents();
    if (x.incidentCount !== undefined && inc.length !== x.incidentCount) problems.push(`step ${n}: ${inc.length} incidents, expected ${x.incidentCount}`);
    for (const want of x.incidents ?? []) {
      const ok = inc.some((i) => (want.itemId === undefined || i.itemIds.includes(want.itemId)) && (want.kind === undefined || i.kind === want.kind)
        && (want.reported === undefined || (i.reportedAt !== null) === want.reported)
        && (want.overdue === undefined || isReportOverdue(i, step.at) === want.overdue));
      if (!ok) problems.push(`step ${n}: no incident ${JSON.stringify(want)} in ${JSON.stringify(inc.map((i) => [i.kind, i.itemIds, i.reportedAt]))}`);
    }
  }
  if (process.env.DUMP) console.log(file, JSON.stringify(allViolations().map((v) => [v.code, v.itemId, v.personId, v.severity, v.incidentId ?? null])), JSON.stringify(incidents().map((i) => [i.kind, i.itemIds, i.causes.map((c) => c.code)])));
  return problems;
};

describe('the shared scenarios, replayed through the domain', () => {
  for (const f of files) it(`${f} holds`, () => expect(runScenario(f)).toEqual([]));
});
