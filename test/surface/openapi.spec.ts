import { COMMAND_DTOS, PUBLIC_COMMAND_NAMES, validateCommandData } from '@app/application';
import { ROUTE_ACCESS } from '../../apps/ledger-api/src/auth/route-access';
import { bootSurfaceApp, type SurfaceApp } from '../support/test-app';

describe('the OpenAPI document', () => {
  let s: SurfaceApp;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is walked field by field
  let doc: any;
  beforeAll(async () => {
    s = await bootSurfaceApp();
    const res = await fetch(`${s.base}/docs/json`);
    expect(res.status).toBe(200);
    doc = await res.json();
  });
  afterAll(() => s.close());

  it('lists every public command as its own operation with a schema and a valid example', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/api/commands/{name}']).toBeUndefined();
    for (const name of PUBLIC_COMMAND_NAMES) {
      const op = doc.paths[`/api/commands/${name}`]?.post;
      expect([name, Boolean(op)]).toEqual([name, true]);
      const content = op.requestBody.content['application/json'];
      expect(content.schema.properties.data.properties).toBeDefined();
      expect(content.example.data).toEqual(COMMAND_DTOS[name].example);
      // The example passes the very validation the API runs.
      expect([name, validateCommandData(name, content.example.data).ok]).toEqual([name, true]);
      // Every required field of the schema is in the example.
      for (const field of content.schema.properties.data.required ?? [])
        expect([name, field in content.example.data]).toEqual([name, true]);
      expect(op.security).toEqual([{ bearer: [] }]);
      expect(op.responses['400'].content['application/problem+json']).toBeDefined();
      expect(op.responses['403']).toBeDefined();
    }
    expect(doc.paths['/api/commands/FireDeadline']).toBeUndefined();
  });

  it('documents the query routes with their parameters, bearer auth and problem responses', () => {
    expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.components.schemas.Problem.required).toEqual(expect.arrayContaining(['type', 'status', 'code']));
    const violations = doc.paths['/api/violations'].get;
    expect(violations.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['status', 'code', 'severity', 'itemId', 'personId', 'since', 'cursor']),
    );
    expect(violations.responses['401'].content['application/problem+json'].schema.$ref).toBe(
      '#/components/schemas/Problem',
    );
    const history = doc.paths['/api/items/{id}/history'].get;
    expect(history.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['id', 'asOf', 'copies']),
    );
    expect(doc.paths['/api/feed'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['Last-Event-ID', 'streams', 'types']),
    );
    for (const a of ROUTE_ACCESS.filter((r) => r.path.startsWith('/api/') && r.roles !== 'per-command')) {
      const path = a.path.replace(/:([A-Za-z]+)/g, '{$1}');
      expect([a.path, Boolean(doc.paths[path]?.[a.method.toLowerCase()])]).toEqual([a.path, true]);
    }
  });

  it('documents 503 STORE_ROLLED_BACK on every write route and on /health/ready, with the rollback schema', () => {
    const rolledBack = (r: { description: string; content?: Record<string, { schema: unknown }> }) => {
      expect(r.description).toContain('STORE_ROLLED_BACK');
      return r;
    };
    for (const name of PUBLIC_COMMAND_NAMES) {
      const r = rolledBack(doc.paths[`/api/commands/${name}`].post.responses['503']);
      expect(r.content!['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    }
    const checkpoint = rolledBack(doc.paths['/api/ledger/checkpoints'].post.responses['503']);
    expect(checkpoint.content!['application/problem+json']).toBeDefined();
    // The batch answers 200 with each command's own problem in its place.
    const batch = doc.paths['/api/commands:batch'].post;
    rolledBack(batch.responses['200']);
    expect(batch.security).toEqual([{ bearer: [] }]);
    expect(batch.responses['404']).toBeUndefined();
    const ready = rolledBack(doc.paths['/health/ready'].get.responses['503']);
    expect(ready.content!['application/json'].schema).toEqual({ $ref: '#/components/schemas/Readiness' });
    const { Problem, Readiness, StoreRollback } = doc.components.schemas;
    expect(Problem.properties.rollback).toEqual({ $ref: '#/components/schemas/StoreRollback' });
    expect(Readiness.properties.code.enum).toEqual(['STORE_ROLLED_BACK']);
    expect(Readiness.properties.rollback).toEqual({ $ref: '#/components/schemas/StoreRollback' });
    expect(StoreRollback.required).toEqual(['reason', 'applied', 'storeHead']);
    expect(StoreRollback.properties.reason.enum).toEqual(['shorter', 'rewritten']);
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await fetch(`${s.base}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger-ui');
  });
});
