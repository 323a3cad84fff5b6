import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeReadModelDb, openReadModelDb } from './read-model-db';

/**
 * The integrity check at open (issue 16): the whole-file `quick_check` runs unless the file is exactly as a clean
 * close left it. Damage is made the way the reliability suite makes it: bytes overwritten in pages in the middle.
 */
describe('opening the read-model file', () => {
  let dir: string;
  let file: string;
  let warnings: jest.SpyInstance;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-model-db-'));
    file = path.join(dir, 'read-models.sqlite');
    warnings = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    warnings.mockRestore();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A file of a few hundred pages with rows to lose. */
  const filled = () => {
    const db = openReadModelDb(file);
    const put = db.prepare(`INSERT INTO persons (person_id, view) VALUES (?, ?)`);
    db.transaction(() => {
      for (let i = 0; i < 3000; i++) put.run(`p-${i}`, JSON.stringify({ personId: `p-${i}`, pad: 'x'.repeat(200) }));
    })();
    return db;
  };
  const damage = () => {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(3 * 4096, 0xa5), 0, 3 * 4096, Math.floor(size / 4096 / 2) * 4096);
    fs.closeSync(fd);
  };
  const persons = (db: ReturnType<typeof openReadModelDb>) =>
    (db.prepare(`SELECT COUNT(*) AS n FROM persons`).get() as { n: number }).n;
  const detected = () => warnings.mock.calls.some((c) => String(c[0]).includes('integrity check'));

  it('leaves a stamp at a clean close and opens a file untouched since without checking every page', () => {
    closeReadModelDb(filled());
    expect(fs.existsSync(`${file}.clean`)).toBe(true);
    // Damage that keeps the size and the modification time (which nothing but a deliberate hand does) is not looked
    // for: the proof that the whole-file check did not run.
    const { atime, mtime } = fs.statSync(file);
    damage();
    fs.utimesSync(file, atime, mtime);
    const db = openReadModelDb(file);
    expect(detected()).toBe(false);
    expect(fs.existsSync(`${file}.clean`)).toBe(false);
    db.close();
  });

  it('checks the whole file when it was written to after its clean close, and rebuilds it when damaged', () => {
    closeReadModelDb(filled());
    damage();
    const db = openReadModelDb(file);
    expect(detected()).toBe(true);
    expect(persons(db)).toBe(0);
    db.close();
  });

  it('checks the whole file after a crash (the file was never closed cleanly: no stamp)', () => {
    const first = filled();
    first.pragma('wal_checkpoint(TRUNCATE)');
    first.close();
    damage();
    const db = openReadModelDb(file);
    expect(detected()).toBe(true);
    db.close();
  });
});
