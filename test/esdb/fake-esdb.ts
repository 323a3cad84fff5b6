/**
 * FakeEsdb: an in-process, wire-level EventStoreDB double for tests (never imported by the service).
 *
 * It is a gRPC server (`@grpc/grpc-js`) on the service definitions shipped inside `@eventstore/db-client/generated`
 * — the very modules the client loads, because their serializers check `instanceof` — behind a TCP relay, so the real
 * `EventStoreDBClient` talks to it with `esdb://127.0.0.1:PORT?tls=false` and tests can cut the wire.
 *
 * Emulated, with EventStoreDB's semantics as documented and as read in its server source (IndexCommitter.CheckCommit,
 * Streams.Append.cs):
 * - Streams.Append and Streams.BatchAppend: expected revision any / no_stream / stream_exists / exact; a mismatch
 *   answers WrongExpectedVersion with the current revision. Idempotency: with an exact revision (or no_stream) below
 *   the current one, the same event ids at revisions expected+1… answer success with the original write's last
 *   revision and position, writing nothing; a partial match ("corrupted idempotency") answers WrongExpectedVersion.
 *   With any / stream_exists the first event id is looked up among committed ids (the server's bounded cache; here
 *   unbounded). Event ids must be UUIDs and come back in canonical lowercase form.
 * - Streams.Read of a stream (forwards/backwards, from start/end/revision inclusive, count, StreamNotFound) and of
 *   $all (forwards from a position inclusive, backwards from a position exclusive, start/end, count).
 * - Catch-up subscriptions to $all and to a stream: confirmation, catch-up from a position/revision exclusive,
 *   a CaughtUp message, then live events; stream-name and event-type filters by prefix list or regex (regex wins when
 *   both are given, as on the server).
 * - Positions are growing byte offsets (commit = prepare, one record after another): NOT dense, NOT the index.
 * - System events: `$stats-…` and `$et-…` records are in the log from the start and between user appends.
 * - ServerFeatures.GetSupportedMethods, answered honestly: in mode 'batch-append' (the default, like a 24.x server)
 *   it lists Read, Append and BatchAppend, so the client uses BatchAppend; in mode 'none' the service is absent
 *   (UNIMPLEMENTED, like a server before 21.10) and the client falls back to Append.
 * - Controls: dropConnections() resets every TCP connection (in-flight calls and subscriptions fail as on a network
 *   drop); stop() / start() take the node off the same port and back with its data (a restart or leader change).
 *
 * NOT emulated: authentication and ACLs (insecure mode only), TLS, gossip/cluster discovery and NotLeader answers,
 * deletes, tombstones, truncation and stream metadata ($$ streams, $maxAge/$maxCount), scavenging, link resolution,
 * explicit transactions (commit != prepare), the checkpoint messages of filtered subscriptions, FellBehind, deadlines
 * and max append size, persistent subscriptions, projections, the `created` timestamp's precision, and the
 * idempotency cache's eviction. Anything the adapter relies on beyond this list is exercised in test/esdb.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty as GoogleEmpty } from 'google-protobuf/google/protobuf/empty_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import * as pb from '@eventstore/db-client/generated/streams_pb';
import * as shared from '@eventstore/db-client/generated/shared_pb';
import * as features from '@eventstore/db-client/generated/serverfeatures_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import { Code } from '@eventstore/db-client/generated/code_pb';

export interface FakeRecord {
  stream: string;
  revision: number;
  /** Commit = prepare position: the record's byte offset in the (imaginary) transaction log. */
  position: bigint;
  id: string;
  type: string;
  contentType: string;
  created: string;
  data: Uint8Array;
  metadata: Uint8Array;
}

export interface FakeEsdbOptions {
  /** 'batch-append' (default): advertise and serve BatchAppend like a 24.x server. 'none': no ServerFeatures. */
  features?: 'batch-append' | 'none';
  /** Write a `$stats-…` system event after every N user appends (0: never). Default 3. */
  systemEventEvery?: number;
}

type Expected =
  { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: number };
type WriteOutcome = { ok: true; lastRevision: number; position: bigint } | { ok: false; current: number };
interface Proposed {
  id: string;
  type: string | undefined;
  contentType: string | undefined;
  data: Uint8Array;
  metadata: Uint8Array;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const canonicalUuid = (raw: string): string | undefined => {
  if (!UUID.test(raw)) return undefined;
  const h = raw.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const streamName = (sid: shared.StreamIdentifier | undefined) =>
  Buffer.from(sid?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
const grpcError = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });

export class FakeEsdb {
  /** The global log, in position order. */
  readonly log: FakeRecord[] = [];
  /** RPC method names served, in order (diagnostics: which path did the client take?). */
  readonly calls: string[] = [];
  private readonly streams = new Map<string, FakeRecord[]>();
  private readonly committedIds = new Map<string, FakeRecord>();
  private readonly bus = new EventEmitter().setMaxListeners(0);
  private nextPosition = 1536n;
  private userAppends = 0;
  private grpcServer: grpc.Server | undefined;
  private grpcPort = 0;
  private relay: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private port = 0;
  private readonly mode: 'batch-append' | 'none';
  private readonly systemEventEvery: number;

  constructor(options: FakeEsdbOptions = {}) {
    this.mode = options.features ?? 'batch-append';
    this.systemEventEvery = options.systemEventEvery ?? 3;
    // A fresh EventStoreDB node writes its own records before any client does.
    this.writeSystemEvent('$stats-127.0.0.1:2113', '$statsCollected');
    this.writeSystemEvent('$et-$statsCollected', '$>');
  }

  /**
   * Test control: called before each write with its stream; returning true drops every connection instead of
   * writing (a network cut between two appends of one command).
   */
  cutBeforeWrite: ((stream: string) => boolean) | undefined;

  get url(): string {
    return `esdb://127.0.0.1:${this.port}?tls=false`;
  }

  /** Starts serving; after stop(), serves again on the same port with the same data. */
  async start(): Promise<number> {
    if (!this.grpcServer) await this.startGrpc();
    if (this.relay) return this.port;
    const relay = net.createServer((client) => {
      const upstream = net.connect(this.grpcPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      relay.once('error', reject);
      relay.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.relay = relay;
    this.port = (relay.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Takes the node off the network (connections reset, new ones refused); the data stays for start(). */
  async stop(): Promise<void> {
    const relay = this.relay;
    this.relay = undefined;
    this.dropConnections();
    if (relay) await new Promise<void>((resolve) => relay.close(() => resolve()));
  }

  /** Resets every open connection: in-flight calls and subscriptions fail on the client as on a network drop. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Stops for good. */
  async close(): Promise<void> {
    await this.stop();
    this.grpcServer?.forceShutdown();
    this.grpcServer = undefined;
    this.bus.removeAllListeners();
  }

  /** Writes a system record (stream `$…`), as the server does for stats and projections. */
  writeSystemEvent(stream = '$stats-127.0.0.1:2113', type = '$statsCollected'): FakeRecord {
    const data = Buffer.from(type === '$>' ? `0@${stream.slice(4)}` : JSON.stringify({ 'proc-startTime': Date.now() }));
    const [record] = this.commit(stream, [
      { id: randomUUID(), type, contentType: 'application/json', data, metadata: new Uint8Array() },
    ]);
    return record;
  }

  // ---- storage --------------------------------------------------------------------------------------------------

  private commit(stream: string, proposed: Proposed[]): FakeRecord[] {
    const list = this.streams.get(stream) ?? [];
    this.streams.set(stream, list);
    const created = String(BigInt(Date.now()) * 10000n); // .NET ticks since the epoch, which the client divides back
    const written = proposed.map((m) => {
      const record: FakeRecord = {
        stream,
        revision: list.length,
        position: this.nextPosition,
        id: m.id,
        type: m.type ?? '',
        contentType: m.contentType ?? 'application/octet-stream',
        created,
        data: m.data,
        metadata: m.metadata,
      };
      // A prepare record's size: header, names, payload; so positions jump by uneven byte counts.
      this.nextPosition += BigInt(88 + stream.length + record.type.length + m.data.length + m.metadata.length);
      list.push(record);
      this.log.push(record);
      this.committedIds.set(record.id, record);
      return record;
    });
    for (const r of written) this.bus.emit('record', r);
    return written;
  }

  /** EventStoreDB's commit check (IndexCommitter.CheckCommit), without deletes and soft-deletes. */
  private write(stream: string, expected: Expected, proposed: Proposed[]): WriteOutcome {
    if (this.cutBeforeWrite?.(stream)) {
      // The network goes before this write reaches the log: nothing is written and the answer reaches nobody.
      this.dropConnections();
      return { ok: false, current: (this.streams.get(stream)?.length ?? 0) - 1 };
    }
    const list = this.streams.get(stream) ?? [];
    const current = list.length - 1;
    if (expected.kind === 'stream_exists' && current < 0) return { ok: false, current };

    const idempotentAt = (start: number): WriteOutcome => {
      const end = list[start + proposed.length - 1];
      return { ok: true, lastRevision: end.revision, position: end.position };
    };

    if (expected.kind === 'any' || expected.kind === 'stream_exists') {
      const matches = proposed.map((m) => this.committedIds.get(m.id));
      if (proposed.length > 0 && matches[0]?.stream === stream) {
        const start = matches[0].revision;
        const all = matches.every((r, i) => r?.stream === stream && r.revision === start + i);
        // The server answers a partial match with WrongExpectedVersion ("corrupted idempotency").
        return all ? idempotentAt(start) : { ok: false, current };
      }
    } else {
      const exp = expected.kind === 'no_stream' ? -1 : expected.revision;
      if (exp < current) {
        for (let i = 0; i < proposed.length; i++) {
          const r = list[exp + 1 + i];
          if (!r || r.id !== proposed[i].id) return { ok: false, current };
        }
        if (proposed.length === 0) return { ok: false, current };
        return idempotentAt(exp + 1);
      }
      if (exp > current) return { ok: false, current };
    }
    if (proposed.length === 0) {
      return { ok: true, lastRevision: current, position: list[current]?.position ?? -1n };
    }
    const written = this.commit(stream, proposed);
    this.userAppends += 1;
    if (this.systemEventEvery > 0 && this.userAppends % this.systemEventEvery === 0) this.writeSystemEvent();
    const last = written[written.length - 1];
    return { ok: true, lastRevision: last.revision, position: last.position };
  }

  private static proposed(
    id: shared.UUID | undefined,
    meta: Map<string, string>,
    data: Uint8Array,
    metadata: Uint8Array,
  ): Proposed {
    const raw = id?.hasString() ? id.getString() : undefined;
    const canonical = raw === undefined ? undefined : canonicalUuid(raw);
    if (canonical === undefined) throw grpcError(grpc.status.INVALID_ARGUMENT, `invalid event id ${raw}`);
    const type = meta.get('type');
    const contentType = meta.get('content-type');
    if (type === undefined) throw grpcError(grpc.status.INVALID_ARGUMENT, 'Required Metadata Property Missing: type');
    if (contentType === undefined)
      throw grpcError(grpc.status.INVALID_ARGUMENT, 'Required Metadata Property Missing: content-type');
    return { id: canonical, type, contentType, data, metadata };
  }

  private static metaMap(m: {
    getMetadataMap(): { forEach(cb: (v: string, k: string) => void): void };
  }): Map<string, string> {
    const out = new Map<string, string>();
    m.getMetadataMap().forEach((v, k) => out.set(k, v));
    return out;
  }

  // ---- Streams.Append -------------------------------------------------------------------------------------------

  private append(
    call: grpc.ServerReadableStream<pb.AppendReq, pb.AppendResp>,
    callback: grpc.sendUnaryData<pb.AppendResp>,
  ): void {
    this.calls.push('Append');
    let options: pb.AppendReq.Options | undefined;
    const proposed: Proposed[] = [];
    let failed: Error | undefined;
    call.on('data', (req: pb.AppendReq) => {
      if (req.hasOptions()) options = req.getOptions();
      else {
        const m = req.getProposedMessage();
        if (!m) return;
        try {
          proposed.push(
            FakeEsdb.proposed(m.getId(), FakeEsdb.metaMap(m), m.getData_asU8(), m.getCustomMetadata_asU8()),
          );
        } catch (e) {
          failed ??= e as Error;
        }
      }
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      if (failed || !options) return callback(failed ?? grpcError(grpc.status.INVALID_ARGUMENT, 'no options'));
      const C = pb.AppendReq.Options.ExpectedStreamRevisionCase;
      const c = options.getExpectedStreamRevisionCase();
      const expected: Expected =
        c === C.REVISION
          ? { kind: 'revision', revision: Number(options.getRevision()) }
          : c === C.NO_STREAM
            ? { kind: 'no_stream' }
            : c === C.STREAM_EXISTS
              ? { kind: 'stream_exists' }
              : { kind: 'any' };
      const outcome = this.write(streamName(options.getStreamIdentifier()), expected, proposed);
      const resp = new pb.AppendResp();
      if (outcome.ok) {
        const s = new pb.AppendResp.Success();
        if (outcome.lastRevision < 0) s.setNoStream(new shared.Empty());
        else s.setCurrentRevision(String(outcome.lastRevision));
        if (outcome.position < 0n) s.setNoPosition(new shared.Empty());
        else {
          const p = new pb.AppendResp.Position();
          p.setCommitPosition(String(outcome.position));
          p.setPreparePosition(String(outcome.position));
          s.setPosition(p);
        }
        resp.setSuccess(s);
      } else {
        const w = new pb.AppendResp.WrongExpectedVersion();
        if (outcome.current < 0) w.setCurrentNoStream(new shared.Empty());
        else w.setCurrentRevision(String(outcome.current));
        if (expected.kind === 'revision') w.setExpectedRevision(String(expected.revision));
        else if (expected.kind === 'no_stream') w.setExpectedNoStream(new shared.Empty());
        else if (expected.kind === 'stream_exists') w.setExpectedStreamExists(new shared.Empty());
        else w.setExpectedAny(new shared.Empty());
        resp.setWrongExpectedVersion(w);
      }
      callback(null, resp);
    });
  }

  // ---- Streams.BatchAppend (bidi; a request may span several messages, the last one has is_final) ---------------

  private batchAppend(call: grpc.ServerDuplexStream<pb.BatchAppendReq, pb.BatchAppendResp>): void {
    this.calls.push('BatchAppend');
    const pending = new Map<string, { options: pb.BatchAppendReq.Options; proposed: Proposed[]; failed?: Error }>();
    call.on('data', (req: pb.BatchAppendReq) => {
      const cid = req.getCorrelationId()?.getString() ?? '';
      const entry = pending.get(cid) ?? { options: req.getOptions() ?? new pb.BatchAppendReq.Options(), proposed: [] };
      pending.set(cid, entry);
      for (const m of req.getProposedMessagesList()) {
        try {
          entry.proposed.push(
            FakeEsdb.proposed(m.getId(), FakeEsdb.metaMap(m), m.getData_asU8(), m.getCustomMetadata_asU8()),
          );
        } catch (e) {
          entry.failed ??= e as Error;
        }
      }
      if (!req.getIsFinal()) return;
      pending.delete(cid);
      call.write(this.batchResult(cid, entry.options, entry.proposed, entry.failed));
    });
    call.on('error', () => undefined);
    call.on('end', () => call.end());
  }

  private batchResult(
    cid: string,
    options: pb.BatchAppendReq.Options,
    proposed: Proposed[],
    failed?: Error,
  ): pb.BatchAppendResp {
    const resp = new pb.BatchAppendResp();
    const id = new shared.UUID();
    id.setString(cid);
    resp.setCorrelationId(id);
    resp.setStreamIdentifier(options.getStreamIdentifier());
    if (failed) {
      const st = new Status();
      st.setCode(Code.INVALID_ARGUMENT);
      st.setMessage(failed.message);
      resp.setError(st);
      return resp;
    }
    const C = pb.BatchAppendReq.Options.ExpectedStreamPositionCase;
    const c = options.getExpectedStreamPositionCase();
    const expected: Expected =
      c === C.STREAM_POSITION
        ? { kind: 'revision', revision: Number(options.getStreamPosition()) }
        : c === C.NO_STREAM
          ? { kind: 'no_stream' }
          : c === C.STREAM_EXISTS
            ? { kind: 'stream_exists' }
            : { kind: 'any' };
    const outcome = this.write(streamName(options.getStreamIdentifier()), expected, proposed);
    if (outcome.ok) {
      const s = new pb.BatchAppendResp.Success();
      if (outcome.lastRevision < 0) s.setNoStream(new GoogleEmpty());
      else s.setCurrentRevision(String(outcome.lastRevision));
      if (outcome.position < 0n) s.setNoPosition(new GoogleEmpty());
      else {
        const p = new shared.AllStreamPosition();
        p.setCommitPosition(String(outcome.position));
        p.setPreparePosition(String(outcome.position));
        s.setPosition(p);
      }
      resp.setSuccess(s);
      return resp;
    }
    const w = new shared.WrongExpectedVersion();
    if (outcome.current < 0) w.setCurrentNoStream(new GoogleEmpty());
    else w.setCurrentStreamRevision(String(outcome.current));
    if (expected.kind === 'revision') w.setExpectedStreamPosition(String(expected.revision));
    else if (expected.kind === 'no_stream') w.setExpectedNoStream(new GoogleEmpty());
    else if (expected.kind === 'stream_exists') w.setExpectedStreamExists(new GoogleEmpty());
    else w.setExpectedAny(new GoogleEmpty());
    const any = new Any();
    any.pack(w.serializeBinary(), 'event_store.client.WrongExpectedVersion');
    const st = new Status();
    st.setCode(Code.FAILED_PRECONDITION);
    st.setMessage('WrongExpectedVersion');
    st.setDetails(any);
    resp.setError(st);
    return resp;
  }

  // ---- Streams.Read: reads and catch-up subscriptions ------------------------------------------------------------

  private read(call: grpc.ServerWritableStream<pb.ReadReq, pb.ReadResp>): void {
    this.calls.push('Read');
    const o = call.request.getOptions();
    if (!o) return void call.destroy(grpcError(grpc.status.INVALID_ARGUMENT, 'no options'));
    const forwards = o.getReadDirection() === pb.ReadReq.Options.ReadDirection.FORWARDS;
    const subscription = o.hasSubscription();
    const max = !subscription && o.hasCount() ? Number(o.getCount()) : Number.POSITIVE_INFINITY;
    const matches = FakeEsdb.filter(o);

    let source: FakeRecord[];
    let startIndex: number; // first index to send (forwards) or last index (backwards); -1 / length = none
    let isLive: (r: FakeRecord) => boolean;
    let liveAfter: (r: FakeRecord) => boolean = () => true; // a subscription's start is exclusive, live too
    const all = o.hasAll();
    if (all) {
      const ao = o.getAll()!;
      source = this.log;
      if (ao.hasStart()) startIndex = forwards ? 0 : -1;
      else if (ao.hasEnd()) startIndex = forwards || subscription ? source.length : source.length - 1;
      else {
        const at = BigInt(ao.getPosition()!.getCommitPosition());
        // Forwards reads include the record at the position, subscriptions start after it, backwards reads
        // return the records before it.
        // The log's positions grow, so the first record past a bound is found by bisection (a scan from the start
        // made every page of a long read cost the whole log before it: quadratic, issue 16's replica).
        startIndex =
          forwards && !subscription
            ? FakeEsdb.firstIndexFrom(source, at, false)
            : forwards
              ? FakeEsdb.firstIndexFrom(source, at, true)
              : FakeEsdb.firstIndexFrom(source, at, false) - 1;
        liveAfter = (r) => r.position > at;
      }
      isLive = (r) => matches(r);
    } else {
      const so = o.getStream()!;
      const name = streamName(so.getStreamIdentifier());
      source = this.streams.get(name) ?? [];
      if (source.length === 0 && !subscription) {
        const nf = new pb.ReadResp.StreamNotFound();
        nf.setStreamIdentifier(so.getStreamIdentifier());
        const resp = new pb.ReadResp();
        resp.setStreamNotFound(nf);
        call.write(resp);
        return void call.end();
      }
      if (so.hasStart()) startIndex = forwards ? 0 : -1;
      else if (so.hasEnd()) startIndex = forwards || subscription ? source.length : source.length - 1;
      else {
        const rev = Number(so.getRevision());
        startIndex = subscription ? rev + 1 : forwards ? rev : Math.min(rev, source.length - 1);
        liveAfter = (r) => r.revision > rev;
      }
      isLive = (r) => r.stream === name;
    }

    if (subscription) {
      const conf = new pb.ReadResp.SubscriptionConfirmation();
      conf.setSubscriptionId(randomUUID());
      const r = new pb.ReadResp();
      r.setConfirmation(conf);
      call.write(r);
    }
    let sent = 0;
    if (forwards) {
      for (let i = Math.max(0, startIndex); i < source.length && sent < max; i++) {
        if (!matches(source[i])) continue;
        call.write(FakeEsdb.toReadResp(source[i]));
        sent += 1;
      }
    } else {
      for (let i = startIndex; i >= 0 && sent < max; i--) {
        if (!matches(source[i])) continue;
        call.write(FakeEsdb.toReadResp(source[i]));
        sent += 1;
      }
    }
    if (!subscription) return void call.end();

    const caughtUp = new pb.ReadResp();
    caughtUp.setCaughtUp(new pb.ReadResp.CaughtUp());
    call.write(caughtUp);
    // Catch-up above and this registration run in one synchronous turn: no record can fall between them.
    const onRecord = (r: FakeRecord) => {
      if (liveAfter(r) && isLive(r)) call.write(FakeEsdb.toReadResp(r));
    };
    this.bus.on('record', onRecord);
    const detach = () => this.bus.off('record', onRecord);
    call.on('cancelled', detach);
    call.on('close', detach);
    call.on('error', detach);
  }

  /** Index of the first record at `at` or past it (`after`: past it only); the log's length when there is none. */
  private static firstIndexFrom(source: FakeRecord[], at: bigint, after: boolean): number {
    let lo = 0;
    let hi = source.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = source[mid].position;
      if (after ? p <= at : p < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private static filter(o: pb.ReadReq.Options): (r: FakeRecord) => boolean {
    const f = o.hasFilter() ? o.getFilter() : undefined;
    if (!f) return () => true;
    const onStream = f.hasStreamIdentifier();
    const expr = onStream ? f.getStreamIdentifier() : f.getEventType();
    if (!expr) return () => true;
    const field = (r: FakeRecord) => (onStream ? r.stream : r.type);
    const regex = expr.getRegex();
    if (regex) {
      const re = new RegExp(regex);
      return (r) => re.test(field(r));
    }
    const prefixes = expr.getPrefixList();
    return (r) => prefixes.some((p) => field(r).startsWith(p));
  }

  private static toReadResp(r: FakeRecord): pb.ReadResp {
    const e = new pb.ReadResp.ReadEvent.RecordedEvent();
    const id = new shared.UUID();
    id.setString(r.id);
    e.setId(id);
    const sid = new shared.StreamIdentifier();
    sid.setStreamName(Buffer.from(r.stream));
    e.setStreamIdentifier(sid);
    e.setStreamRevision(String(r.revision));
    // Since 22.6 the server fills the $all position for stream reads too (non-transactional events).
    e.setCommitPosition(String(r.position));
    e.setPreparePosition(String(r.position));
    const m = e.getMetadataMap();
    m.set('type', r.type);
    m.set('content-type', r.contentType);
    m.set('created', r.created);
    e.setData(r.data);
    e.setCustomMetadata(r.metadata);
    const ev = new pb.ReadResp.ReadEvent();
    ev.setEvent(e);
    ev.setCommitPosition(String(r.position));
    const resp = new pb.ReadResp();
    resp.setEvent(ev);
    return resp;
  }

  // ---- server ---------------------------------------------------------------------------------------------------

  private async startGrpc(): Promise<void> {
    const server = new grpc.Server();
    const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in the EventStoreDB double' });
    server.addService(StreamsService, {
      read: this.read.bind(this),
      append: this.append.bind(this),
      batchAppend:
        this.mode === 'batch-append'
          ? this.batchAppend.bind(this)
          : (call: grpc.ServerDuplexStream<unknown, unknown>) =>
              call.destroy(grpcError(grpc.status.UNIMPLEMENTED, 'not served')),
      delete: unimplemented,
      tombstone: unimplemented,
    });
    if (this.mode === 'batch-append') {
      server.addService(ServerFeaturesService, {
        getSupportedMethods: (_call: unknown, callback: grpc.sendUnaryData<features.SupportedMethods>) => {
          this.calls.push('GetSupportedMethods');
          const sm = new features.SupportedMethods();
          sm.setEventStoreServerVersion('24.10.0-double');
          sm.setMethodsList(
            ['read', 'append', 'batchappend'].map((name) => {
              const method = new features.SupportedMethod();
              method.setServiceName('event_store.client.streams.Streams');
              method.setMethodName(name);
              return method;
            }),
          );
          callback(null, sm);
        },
      });
    }
    this.grpcPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    this.grpcServer = server;
  }
}
