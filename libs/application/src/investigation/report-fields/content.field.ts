import type { ReportDraft } from '../report-draft';
import { type DraftContext } from './draft-kit';

export const draftContent = (ctx: DraftContext) => {
  const { nodes } = ctx;
  // (1) content, level, quantity, carrier
  const items = nodes.map((n) => ({
    itemId: n.itemId,
    copyOf: n.copyOf,
    depth: n.depth,
    title: n.state?.title ?? null,
    level: n.state?.level ?? null,
    carrier: n.state?.carrier ?? null,
    copyNo: n.state?.copyNo ?? null,
    status: n.state?.status ?? null,
  }));
  // A copy is a copy whether or not the incident starts from it (S1 (三)5 复印件等同原件管理 — managed as the original,
  // still reported as a copy): an incident on a copy must not tell the bureau an original was concerned.
  const originals = items.filter((i) => i.copyOf === null);
  const copies = items.filter((i) => i.copyOf !== null);
  const itemLine = (i: (typeof items)[number]) =>
    `"${i.title}" [${i.itemId}]${i.copyOf ? `, a copy of ${i.copyOf}` : ''}, ${i.level}, ${i.carrier}${i.copyNo ? `, copy No. ${i.copyNo}` : ''}, now ${i.status}`;
  const content: ReportDraft['content'] = {
    text: [
      `${originals.length} classified item(s)${copies.length ? ` and ${copies.length} copy(ies)` : ''}, ${items.length} in all:`,
      ...items.map((i) => `- ${itemLine(i)}`),
    ].join('\n'),
    facts: { items, quantity: items.length, originals: originals.length, copies: copies.length },
  };

  return content;
};
