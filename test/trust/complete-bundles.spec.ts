import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { ManualClock, ed25519Cosigner, formatVkey, parseNote } from '@app/ledger';
import { LedgerCore, CheckpointService, verifyBundle, exportBundle, type ExportBundle } from '@app/application';
import { runScenario, type Scenario } from '../../apps/ledger-cli/src/scenario/scenario-runner';

const SCENARIO = path.join(__dirname, '..', 'scenarios', 'public', 'classification-and-copies.json');

describe('complete bundles (contract §4.1): every stream proven whole against the checkpoint', () => {
  let root: string;
  let bundle: ExportBundle;
  let pem: string;
  const copy = (): ExportBundle => JSON.parse(JSON.stringify(bundle)) as ExportBundle;
  const checks = (b: unknown, options?: Parameters<typeof verifyBundle>[3]) =>
    verifyBundle(b, pem, undefined, options).failures.map((f) => `${f.check} ${f.streamId ?? ''}`.trim());

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'complete-bundle-'));
    const dataDir = path.join(root, 'data');
    expect((await runScenario(JSON.parse(fs.readFileSync(SCENARIO, 'utf8')) as Scenario, { dataDir })).ok).toBe(true);
    const core = await LedgerCore.open({ dataDir, clock: new ManualClock('2026-06-01T08:00:00Z') });
    try {
      const checkpoints = CheckpointService.forCore(core, {});
      bundle = await exportBundle(core, checkpoints, 'doc-ts');
      pem = checkpoints.publicKeyPem;
    } finally {
      await core.close();
    }
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('carries a head and its proof for each stream, and verifies', () => {
    expect(bundle.heads.map((h) => h.head.streamId)).toEqual(bundle.streams.map((s) => s.streamId));
    expect(bundle.checkpoint.note).toContain(
      `\nstreams ${Buffer.from(bundle.checkpoint.streamsRoot!, 'hex').toString('base64')}\n`,
    );
    expect(checks(bundle)).toEqual([]);
  });

  it('a stream cut short — its last events and their proofs and links dropped — is named', () => {
    const b = copy();
    const at = b.streams.findIndex((s) => s.events.length >= 3);
    const victim = b.streams[at];
    const dropped = victim.events.splice(-2);
    const gone = new Set(dropped.map((e) => e.eventId));
    b.proofs = b.proofs.filter((p) => !gone.has(p.eventId));
    b.links = b.links.filter((l) => !gone.has(l.eventId));
    expect(checks(b)).toEqual([`stream-head ${victim.streamId}`]);
    expect(verifyBundle(b, pem).failures[0].detail).toMatch(
      /cut short: it ends at revision \d+, the checkpoint commits to revision \d+/,
    );
    // Its head swapped for an older one: the proof against the signed root fails instead.
    b.heads[at] = {
      ...b.heads[at],
      head: {
        ...b.heads[at].head,
        revision: victim.events.length - 1,
        hash: String(victim.events.at(-1)!.metadata.hash),
      },
    };
    expect(checks(b)).toEqual([`stream-head ${victim.streamId}`]);
  });

  it('every stream removed: the item named has no stream, and the bundle is invalid', () => {
    const b = copy();
    b.streams = [];
    b.proofs = [];
    b.links = [];
    b.heads = [];
    const found = checks(b);
    expect(found).toContain('missing-stream item-doc-ts');
    expect(found.filter((f) => f.startsWith('missing-stream'))).toHaveLength(bundle.items.length);
    expect(verifyBundle(b, pem).ok).toBe(false);
  });

  it('one copy stream removed (heads and all): the copy the bundle names is missing', () => {
    const b = copy();
    const [removed] = b.streams.splice(2, 1);
    b.heads.splice(2, 1);
    expect(checks(b)).toEqual([`missing-stream ${removed.streamId}`]);
  });

  it('relabelled: the bundle claims another item id for the same streams', () => {
    const b = copy();
    b.itemId = 'doc-innocent';
    b.items = ['doc-innocent', ...b.items.slice(1)];
    b.streams[0].itemId = 'doc-innocent';
    expect(checks(b)).toEqual(['binding item-doc-ts', 'missing-stream item-doc-innocent']);
  });

  it('carries the cosignatures; --witness/--quorum count the valid ones and name the missing', () => {
    const w = generateKeyPairSync('ed25519');
    const text = parseNote(bundle.checkpoint.note!).text;
    const line = ed25519Cosigner('witness.test/a', w.privateKey).cosign(text, 1_780_000_000).trimEnd();
    const b = { ...copy(), cosignatures: [line] };
    const a = { name: 'witness.test/a', publicKey: formatVkey('witness.test/a', w.publicKey, 0x04) };
    const other = generateKeyPairSync('ed25519');
    const z = { name: 'witness.test/z', publicKey: formatVkey('witness.test/z', other.publicKey, 0x04) };
    expect(checks(b, { witnesses: [a] })).toEqual([]);
    expect(checks(b, { witnesses: [a, z], quorum: 1 })).toEqual([]);
    const short = verifyBundle(b, pem, undefined, { witnesses: [a, z] });
    expect(short.failures).toEqual([expect.objectContaining({ check: 'witness-quorum' })]);
    expect(short.failures[0].detail).toContain('missing: witness.test/z');
    // A cosignature on other text (another size) counts for nothing.
    const forged = ed25519Cosigner('witness.test/a', w.privateKey).cosign(
      text.replace(/\n\d+\n/, '\n1\n'),
      1_780_000_000,
    );
    expect(checks({ ...copy(), cosignatures: [forged] }, { witnesses: [a] })).toEqual(['witness-quorum']);
  });
});
