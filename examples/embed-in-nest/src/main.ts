/**
 * A Nest application that embeds the custody ledger: `LedgerModule.forRoot({ dataDir })` gives an injectable `Ledger`.
 * It registers a person, a place and a received SECRET document, records a reading by someone outside the knowledge
 * scope (a fact the ledger records, with the rule break beside it), reads the history and the violation, verifies.
 *
 *   npm install && npm run build && npm start -- /tmp/embedded-ledger
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ledger, LedgerModule, type Principal } from '@custody-ledger/application';

/** Who gives the commands: an API key would map to one principal; here one with the roles it needs. */
const registrar: Principal = { name: 'registry-desk', personId: 'p-registrar', roles: ['registrar', 'custodian'] };

@Injectable()
class RegistryDesk {
  constructor(private readonly ledger: Ledger) {}

  async run(): Promise<string> {
    const at = '2026-03-02T09:00:00Z';
    const fact = (name: string, data: object, occurredAt = at) =>
      this.ledger.execute(name, { data, occurredAt }, registrar);
    await fact('RegisterPerson', {
      personId: 'p-registrar',
      name: 'Registrar Zhao',
      rank: 'manager',
      clearance: 'SECRET',
      unit: 'office',
    });
    await fact('RegisterPerson', {
      personId: 'p-director',
      name: 'Director Wang',
      rank: 'director',
      clearance: 'SECRET',
      unit: 'office',
    });
    await fact('RegisterPerson', {
      personId: 'p-clerk',
      name: 'Clerk Li',
      rank: 'staff',
      clearance: 'CONFIDENTIAL',
      unit: 'office',
    });
    await fact('RegisterPlace', { placeId: 'reading-room-1', name: 'Reading room 1', kind: 'reading-room' });
    await fact('RegisterReceivedItem', {
      itemId: 'doc-1',
      title: 'Annual plan (copy 1)',
      level: 'SECRET',
      periodYears: 10,
      basis: 'secrecy catalogue 3.2',
      carrier: 'paper',
      sender: 'supervising office',
      receivedBy: 'p-director',
      scope: { persons: ['p-director'] },
    });
    // A reading by a clerk outside the knowledge scope: recorded all the same, with OUT_OF_SCOPE_ACCESS beside it.
    const reading = await fact(
      'RecordReading',
      { itemId: 'doc-1', reader: 'p-clerk', placeId: 'reading-room-1' },
      '2026-03-02T10:00:00Z',
    );
    const history = await this.ledger.history('doc-1');
    const item = await this.ledger.item('doc-1');
    const verified = await this.ledger.verify();
    const codes = reading.violations.map((v) => v.code).join(',');
    return (
      `embedded ledger: ${history?.events.length ?? 0} events on doc-1, custodian ${item?.custodian ?? 'none'}, ` +
      `violation ${codes || 'none'}, verify ${verified.ok ? 'ok' : 'FAILED'}`
    );
  }
}

@Module({
  imports: [
    LedgerModule.forRoot({ dataDir: process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-ledger-')) }),
  ],
  providers: [RegistryDesk],
})
class AppModule {}

const main = async (): Promise<void> => {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const line = await app.get(RegistryDesk).run();
  await app.close();
  console.log(line);
  if (!/violation OUT_OF_SCOPE_ACCESS, verify ok$/.test(line)) process.exit(1);
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
