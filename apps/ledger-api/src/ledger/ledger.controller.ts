import { Controller, Get, Header, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { type LedgerCore, CheckpointService, actorOf, verifyLedgerIntegrity } from '@app/application';
import { LEDGER_CORE } from '../tokens';
import { Public, Roles, type AuthedRequest } from '../auth/api-key.guard';
import { RequestValidationError } from '@app/application';
import { QuerySchema, CheckpointsQuery, StreamHeadQuery, ConsistencyQuery } from '../shared/query.dto';

/** A non-negative integer query parameter, or undefined when absent; a 400 naming it otherwise. */
const sizeParam = (name: string, raw: unknown): number | undefined => {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw))
    throw new RequestValidationError([{ field: `query.${name}`, reason: 'must be an integer >= 0' }]);
  return Number(raw);
};

@Controller('api/ledger')
export class LedgerController {
  constructor(
    @Inject(LEDGER_CORE) private readonly core: LedgerCore,
    private readonly checkpoints: CheckpointService,
  ) {}

  /**
   * Recomputes every hash chain and the Merkle tree, checks every checkpoint's signature, holds the tree to every
   * signed root and checks consistency between consecutive checkpoints; names the first divergence.
   */
  @Get('verify')
  @Roles('auditor', 'investigator', 'secrecy-officer')
  async verify() {
    await this.core.readModels.catchUp();
    return verifyLedgerIntegrity(this.core.store, {
      publicKeyPem: this.checkpoints.publicKeyPem,
      merkle: this.core.readModels.merkle,
      // A store behind what this service applied fails the audit too (contract §4.1), named as `storeRollback`.
      appliedHead: this.core.readModels.runner.appliedHead,
    });
  }

  /** Signed checkpoints, newest first. */
  @QuerySchema(CheckpointsQuery)
  @Get('checkpoints')
  @Roles('auditor', 'investigator', 'secrecy-officer')
  async list(@Query('limit') limit?: string) {
    const n = sizeParam('limit', limit) ?? 100;
    if (n < 1 || n > 1000) throw new RequestValidationError([{ field: 'query.limit', reason: 'must be in [1, 1000]' }]);
    return { keyId: this.checkpoints.keyId, checkpoints: await this.checkpoints.list(n) };
  }

  /** Signs a checkpoint now (unless nothing was recorded since the latest one). */
  @Post('checkpoints')
  @HttpCode(200)
  @Roles('auditor')
  signNow(@Req() req: AuthedRequest) {
    return this.checkpoints.signNow({ actor: req.principal ? actorOf(req.principal) : undefined });
  }

  /**
   * The latest checkpoint as a C2SP tlog-checkpoint signed note (text/plain), with the witnesses' cosignatures
   * appended: what standard transparency tooling reads. Public like the public key: it is exactly what is sent
   * to every witness.
   */
  @Get('checkpoint')
  @Public()
  @Header('content-type', 'text/plain; charset=utf-8')
  async checkpointNote(): Promise<string> {
    return this.checkpoints.latestNote();
  }

  /** A stream's head and its proof against the stream-heads root of the checkpoint of `size` (default: latest). */
  @QuerySchema(StreamHeadQuery)
  @Get('proofs/streams/:streamId')
  @Roles('auditor', 'investigator', 'secrecy-officer')
  streamHead(@Param('streamId') streamId: string, @Query('size') size?: string) {
    return this.checkpoints.streamHead(streamId, sizeParam('size', size));
  }

  /** Inclusion proof of one event against the latest checkpoint (signed now if the event is newer). */
  @Get('proofs/:eventId')
  @Roles('auditor', 'investigator', 'secrecy-officer')
  proof(@Param('eventId') eventId: string) {
    return this.checkpoints.inclusion(eventId);
  }

  /** Consistency proof between the trees of `from` and `to` events (`to`: the latest checkpoint's size). */
  @QuerySchema(ConsistencyQuery)
  @Get('consistency')
  @Roles('auditor', 'investigator', 'secrecy-officer')
  consistency(@Query('from') from?: string, @Query('to') to?: string) {
    const f = sizeParam('from', from);
    if (f === undefined) throw new RequestValidationError([{ field: 'query.from', reason: 'is required' }]);
    return this.checkpoints.consistency(f, sizeParam('to', to));
  }

  /** The checkpoint public key (SPKI PEM): public by nature, and what an offline verifier needs first. */
  @Get('public-key')
  @Public()
  @Header('content-type', 'text/plain; charset=utf-8')
  publicKey(): string {
    return this.checkpoints.publicKeyPem;
  }
}
