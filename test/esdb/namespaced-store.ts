import type {
  AppendResult,
  CommandAppendResult,
  CommandClaim,
  StoredCommand,
  EventHandler,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamWrite,
  SubscribeOptions,
  Subscription,
} from '@app/ledger';

/**
 * Test fixture: puts every stream of a store under a prefix, so scenario files (which reuse ids such as doc-1) can
 * run again and again on one shared real EventStoreDB server without meeting the streams of an earlier run.
 * Stream ids inside the ledger (and so inside the hash chain) stay unprefixed.
 */
export class NamespacedEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly prefix: string,
  ) {}

  private strip = (e: RecordedEvent): RecordedEvent => ({ ...e, streamId: e.streamId.slice(this.prefix.length) });
  private mine = (e: RecordedEvent): boolean => e.streamId.startsWith(this.prefix);

  async append(streamId: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const r = await this.inner.append(this.prefix + streamId, events, expected);
    return { ...r, streamId };
  }

  async appendMany(writes: StreamWrite[]): Promise<AppendResult[]> {
    const rs = await this.inner.appendMany(writes.map((w) => ({ ...w, streamId: this.prefix + w.streamId })));
    return rs.map((r, i) => ({ ...r, streamId: writes[i].streamId }));
  }

  async appendCommand(claim: CommandClaim, writes: StreamWrite[]): Promise<CommandAppendResult> {
    const r = await this.inner.appendCommand(
      { ...claim, scope: this.prefix + claim.scope },
      writes.map((w) => ({ ...w, streamId: this.prefix + w.streamId })),
    );
    if (r.duplicate) return { duplicate: true, command: this.stripCommand(r.command) };
    return { duplicate: false, results: r.results.map((x, i) => ({ ...x, streamId: writes[i].streamId })) };
  }

  resumeCommands(): Promise<number> {
    return this.inner.resumeCommands?.() ?? Promise.resolve(0);
  }

  async findCommand(scope: string, commandId: string): Promise<StoredCommand | undefined> {
    const found = await this.inner.findCommand(this.prefix + scope, commandId);
    return found && this.stripCommand(found);
  }

  private stripCommand = (c: StoredCommand): StoredCommand => ({
    ...c,
    scope: c.scope.slice(this.prefix.length),
    events: c.events.map(this.strip),
  });

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return (await this.inner.readStream(this.prefix + streamId, options)).map(this.strip);
  }

  streamRevision(streamId: string): Promise<number> {
    return this.inner.streamRevision(this.prefix + streamId);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const want = options.maxCount ?? Infinity;
    if (options.direction === 'backwards') {
      // Only the head is ever read backwards (headPosition); the newest 500 events hold this run's last one.
      return (await this.inner.readAll({ direction: 'backwards', maxCount: 500 }))
        .filter(this.mine)
        .map(this.strip)
        .slice(0, want);
    }
    const out: RecordedEvent[] = [];
    let after = options.after;
    // Other namespaces' events are skipped, so page until enough of ours are found or the log ends.
    while (out.length < want) {
      const page = await this.inner.readAll({ after, maxCount: 500 });
      if (page.length === 0) break;
      out.push(...page.filter(this.mine).map(this.strip));
      after = page[page.length - 1].position;
    }
    return out.slice(0, want);
  }

  async headPosition(): Promise<number | undefined> {
    const [last] = await this.readAll({ direction: 'backwards', maxCount: 1 });
    return last?.position;
  }

  subscribeToAll(handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    const prefixes = (options.filter?.streamPrefixes ?? ['']).map((p) => this.prefix + p);
    const excluded = (options.filter?.excludeStreamPrefixes ?? []).map((p) => this.prefix + p);
    return this.inner.subscribeToAll((e) => handler(this.strip(e)), {
      ...options,
      filter: { streamPrefixes: prefixes, excludeStreamPrefixes: excluded },
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
