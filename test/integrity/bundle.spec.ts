import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { ManualClock } from '@app/ledger';
import { LedgerCore, CheckpointService, verifyBundle, type ExportBundle, exportBundle } from '@app/application';
import { runScenario, type Scenario } from '../../apps/ledger-cli/src/scenario/scenario-runner';
import { exportCommand, verifyBundleCommand } from '../../apps/ledger-cli/src/bundle/bundle.commands';

const SCENARIO = path.join(__dirname, '..', 'scenarios', 'public', 'classification-and-copies.json');

/** Replaces the character at `at` by another one of the same kind (a hex digit by another, a letter by another). */
const flipChar = (text: string, at: number): string => {
  const c = text[at];
  const replacement = /[0-9a-f]/.test(c) ? (c === '0' ? '1' : '0') : c === 'x' ? 'y' : 'x';
  return text.slice(0, at) + replacement + text.slice(at + 1);
};

describe('the export bundle of a TOP_SECRET plan and its copies', () => {
  let root: string;
  let dataDir: string;
  let bundleFile: string;
  let keyFile: string;
  let text: string;
  let bundle: ExportBundle;
  let pem: string;
  let logs: string[];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
    dataDir = path.join(root, 'data');
    expect((await runScenario(JSON.parse(fs.readFileSync(SCENARIO, 'utf8')) as Scenario, { dataDir })).ok).toBe(true);
    bundleFile = path.join(root, 'doc-ts.bundle.json');
    keyFile = path.join(dataDir, 'signing-key.pub.pem');
    // The CLI command itself: opens the data dir, signs a checkpoint (none exists yet) and writes the file.
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await exportCommand({ positional: ['doc-ts'], flags: { out: bundleFile, json: true } }, dataDir)).toBe(0);
    text = fs.readFileSync(bundleFile, 'utf8');
    bundle = JSON.parse(text) as ExportBundle;
    pem = fs.readFileSync(keyFile, 'utf8');
  });

  beforeEach(() => {
    logs = [];
    jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('holds the item and its copies as full streams, a link and a proof per event, and the signed checkpoint', () => {
    expect(bundle.itemId).toBe('doc-ts');
    expect(bundle.items.length).toBeGreaterThan(1);
    expect(bundle.items[0]).toBe('doc-ts');
    for (const s of bundle.streams) expect(s.events.map((e) => e.revision)).toEqual(s.events.map((_, i) => i));
    const events = bundle.streams.flatMap((s) => s.events);
    expect(bundle.links.map((l) => l.eventId)).toEqual(events.map((e) => e.eventId));
    expect(bundle.proofs.map((p) => p.eventId)).toEqual(events.map((e) => e.eventId));
    expect(bundle.checkpoint.treeSize).toBeGreaterThan(Math.max(...bundle.proofs.map((p) => p.leafIndex)));
    expect(bundle.keyId).toBe(bundle.checkpoint.keyId);
  });

  it('verifies with nothing but the file and the public key', () => {
    const result = verifyBundle(bundle, pem);
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({
      ok: true,
      itemId: 'doc-ts',
      events: bundle.proofs.length,
      treeSize: bundle.checkpoint.treeSize,
    });
    expect(verifyBundleCommand({ positional: [bundleFile], flags: { 'public-key': keyFile } })).toBe(0);
    expect(logs.join('\n')).toMatch(/^ok: \d+ events in \d+ streams of doc-ts/);
  });

  it('reuses the latest checkpoint when it already covers every exported event', async () => {
    const core = await LedgerCore.open({ dataDir, clock: new ManualClock('2026-07-01T00:00:00Z') });
    try {
      const again = await exportBundle(core, CheckpointService.forCore(core, {}), 'doc-ts');
      expect(again.checkpoint.eventId).toBe(bundle.checkpoint.eventId);
      expect(verifyBundle(again, pem).ok).toBe(true);
    } finally {
      await core.close();
    }
  });

  /** Writes a tampered copy of the bundle file and runs verify-bundle on it: exit code, JSON result, printed lines. */
  const verifyTampered = (tampered: string) => {
    const file = path.join(root, `tampered-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, tampered);
    expect(verifyBundleCommand({ positional: [file], flags: { 'public-key': keyFile } })).toBe(1);
    const printed = logs.join('\n');
    logs = [];
    expect(verifyBundleCommand({ positional: [file], flags: { 'public-key': keyFile, json: true } })).toBe(1);
    return { result: JSON.parse(logs.join('\n')) as ReturnType<typeof verifyBundle>, printed };
  };
  const eventAt = (streamIndex: number, revision: number) => bundle.streams[streamIndex].events[revision];

  it('names the event whose data field changed by one byte (hash)', () => {
    const victim = eventAt(0, 1);
    const field = JSON.stringify(victim.data).match(/"(\w+)":"([^"]+)"/)!;
    // The first string member of the victim's data, located inside the victim's own JSON in the file.
    const start = text.indexOf(`"eventId": "${victim.eventId}"`);
    const at = text.indexOf(`"${field[1]}": "${field[2]}"`, start) + `"${field[1]}": "`.length;
    const { result, printed } = verifyTampered(flipChar(text, at));
    expect(result.failures).toEqual([expect.objectContaining({ check: 'hash', eventId: victim.eventId })]);
    expect(printed).toContain(`event ${victim.eventId} (${victim.streamId}#1): hash:`);
  });

  it('names the event whose stored hash changed (hash), the link after it and its leaf', () => {
    const victim = eventAt(0, 2);
    const hash = String(victim.metadata.hash);
    const at = text.indexOf(`"hash": "${hash}"`) + '"hash": "'.length;
    const { result } = verifyTampered(flipChar(text, at));
    expect(result.failures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ check: 'hash', eventId: victim.eventId }),
        expect.objectContaining({ check: 'link', eventId: eventAt(0, 3).eventId }),
        expect.objectContaining({ check: 'leaf', eventId: victim.eventId }),
      ]),
    );
  });

  it('names the event whose proof node changed (inclusion)', () => {
    const p = bundle.proofs[4];
    // The node inside this event's own proof entry (the same hash also appears as a sibling's leaf hash).
    const entry = text.indexOf(`"eventId": "${p.eventId}"`, text.indexOf('"proofs"'));
    const at = text.indexOf(`"${p.proof[0]}"`, entry) + 1;
    const { result } = verifyTampered(flipChar(text, at));
    expect(result.failures.map((f) => [f.check, f.eventId])).toContainEqual(['inclusion', p.eventId]);
    // A proof node may be shared by other events' paths; no other check fails.
    expect(result.failures.every((f) => f.check === 'inclusion')).toBe(true);
  });

  it('names the checkpoint whose signature changed (signature)', () => {
    const at = text.indexOf(`"signature": "`) + '"signature": "'.length + 10;
    const { result, printed } = verifyTampered(text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1));
    expect(result.failures).toEqual([expect.objectContaining({ check: 'signature' })]);
    expect(printed).toContain('signature: the checkpoint of');
  });

  it('names the signature and every inclusion when the root changed', () => {
    const at = text.indexOf(`"rootHash": "${bundle.checkpoint.rootHash}"`) + '"rootHash": "'.length;
    const { result } = verifyTampered(flipChar(text, at));
    expect(result.failures.filter((f) => f.check === 'signature')).toHaveLength(1);
    expect(result.failures.filter((f) => f.check === 'inclusion')).toHaveLength(bundle.proofs.length);
  });

  it('names a removed event by the revision out of place after it', () => {
    const copy = JSON.parse(text) as ExportBundle;
    const removed = copy.streams[0].events.splice(1, 1)[0];
    const result = verifyBundle(copy, pem);
    expect(result.ok).toBe(false);
    expect(result.failures).toContainEqual(
      expect.objectContaining({ check: 'revision', eventId: eventAt(0, 2).eventId }),
    );
    expect(result.failures).toContainEqual(expect.objectContaining({ check: 'link', eventId: eventAt(0, 2).eventId }));
    expect(removed.eventId).toBe(eventAt(0, 1).eventId);
  });

  it('refuses a bundle checked with another key (key-id and signature)', () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const result = verifyBundle(bundle, other);
    expect(result.failures.map((f) => f.check)).toEqual(['key-id', 'signature']);
  });

  it('refuses something that is not a bundle without throwing', () => {
    expect(verifyBundle({ hello: 'world' }, pem).failures).toEqual([expect.objectContaining({ check: 'format' })]);
  });
});
