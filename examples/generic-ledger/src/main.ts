/**
 * The generic ledger serves any domain. Here: a tool crib where tools are lent and returned — two events, one
 * decider — recorded with hash chains, a Merkle tree over the global order, a signed checkpoint, then verified.
 *
 *   npm install && npm run build && npm start -- /tmp/crib
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DeciderRunner,
  ManualClock,
  MerkleLog,
  SqliteEventStore,
  loadOrCreateSigningKey,
  readAllEvents,
  signCheckpoint,
  verifyCheckpoint,
  verifyEvents,
  type DecisionWrite,
  type DeciderProgram,
  type LedgerCommand,
  type LoadedStream,
} from '@custody-ledger/ledger';

// The domain: commands, events, state, decide, evolve.
type ToolCommand = LedgerCommand &
  ({ type: 'LendTool'; data: { toolId: string; to: string } } | { type: 'ReturnTool'; data: { toolId: string } });
type ToolEvent =
  { type: 'ToolLent'; data: { toolId: string; to: string } } | { type: 'ToolReturned'; data: { toolId: string } };
type ToolState = { status: 'in-crib' } | { status: 'lent'; to: string };

class ToolAlreadyLent extends Error {
  readonly code = 'TOOL_ALREADY_LENT';
}

const initialState = (): ToolState => ({ status: 'in-crib' });
const evolve = (state: ToolState, event: ToolEvent): ToolState =>
  event.type === 'ToolLent' ? { status: 'lent', to: event.data.to } : { status: 'in-crib' };
const decide = (command: ToolCommand, state: ToolState): ToolEvent[] => {
  switch (command.type) {
    case 'LendTool':
      if (state.status === 'lent') throw new ToolAlreadyLent(`${command.data.toolId} is with ${state.to}`);
      return [{ type: 'ToolLent', data: command.data }];
    case 'ReturnTool':
      return state.status === 'lent' ? [{ type: 'ToolReturned', data: command.data }] : [];
  }
};

// The domain as the runner sees it: which stream a command is about, and the pure decide/evolve.
type Ctx = { streams: Record<string, LoadedStream> };
const streamOf = (toolId: string) => `tool-${toolId}`;
const program: DeciderProgram<ToolCommand, Ctx, { streams?: string[] }> = {
  emptyContext: () => ({ streams: {} }),
  plan: (command, ctx) => {
    const id = streamOf(command.data.toolId);
    return { streams: id in ctx.streams ? [] : [id] };
  },
  fulfil: async () => false,
  decide: (command, ctx): DecisionWrite[] => {
    const id = streamOf(command.data.toolId);
    return [{ streamId: id, events: decide(command, (ctx.streams[id]?.state as ToolState) ?? initialState()) }];
  },
  initialState: () => initialState(),
  evolve: (_streamId, state, event) => evolve(state as ToolState, event as ToolEvent),
};

const main = async (): Promise<void> => {
  const dir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tool-crib-'));
  fs.mkdirSync(dir, { recursive: true });
  const store = SqliteEventStore.open(path.join(dir, 'ledger.sqlite'));
  const clock = new ManualClock('2026-03-02T09:00:00Z');
  const runner = new DeciderRunner(store, clock);
  const at = () => clock.now().toISOString();

  await runner.run(program, {
    type: 'LendTool',
    commandId: 'c1',
    actor: 'keeper',
    at: at(),
    data: { toolId: 'drill', to: 'wang' },
  });
  clock.advance(3_600_000);
  let refused = '';
  try {
    await runner.run(program, {
      type: 'LendTool',
      commandId: 'c2',
      actor: 'keeper',
      at: at(),
      data: { toolId: 'drill', to: 'li' },
    });
  } catch (e) {
    refused = (e as ToolAlreadyLent).code;
  }
  await runner.run(program, {
    type: 'ReturnTool',
    commandId: 'c3',
    actor: 'keeper',
    at: at(),
    data: { toolId: 'drill' },
  });
  await runner.run(program, {
    type: 'LendTool',
    commandId: 'c4',
    actor: 'keeper',
    at: at(),
    data: { toolId: 'saw', to: 'li' },
  });

  // A Merkle tree over the event hashes in global order, and a checkpoint signed over its root.
  const events = [];
  for await (const e of readAllEvents(store)) events.push(e);
  const tree = new MerkleLog();
  for (const e of events) tree.append(String(e.metadata.hash));
  const key = loadOrCreateSigningKey(dir);
  const last = events[events.length - 1];
  if (!last) throw new Error('nothing was recorded');
  const checkpoint = signCheckpoint(
    { treeSize: tree.size, rootHash: tree.root(), position: last.position, signedAt: at() },
    key,
  );

  // Verify: every chain recomputed, the tree held to the signed root, the signature checked with the public key.
  const result = await verifyEvents(readAllEvents(store), { checkpoints: [checkpoint] });
  const signatureOk = verifyCheckpoint(checkpoint, key.publicKeyPem);
  await store.close();
  console.log(
    `generic ledger: ${result.eventsChecked} events in ${result.streams} streams, second lend refused ${refused}, ` +
      `root ${result.rootHash.slice(0, 12)}…, checkpoint signature ${signatureOk ? 'valid' : 'INVALID'}, ` +
      `verify ${result.ok ? 'ok' : 'FAILED'}`,
  );
  if (!result.ok || !signatureOk || refused !== 'TOOL_ALREADY_LENT') process.exit(1);
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
