/**
 * Who may call which route: the one table the README's roles table, the OpenAPI descriptions and the permission
 * matrix test (test/surface/permissions.spec.ts) are built from. The matrix test checks it both ways against the
 * routes Nest registers, so a new route without an entry here fails the build. Commands have their own table
 * (core/permissions.ts: COMMAND_ROLES); `admin` may call everything.
 *
 * Plain reads (custody state, readers, musters, violations, incidents) are open to any authenticated role: the
 * dashboard, a registrar checking a holder and a responder triaging all need them, and they show current state
 * only. Full histories, proofs and the live feed — everything an investigator exports — need an investigating role.
 */
import type { Role } from '@app/application';

export type RouteRoles = 'public' | 'any' | 'per-command' | readonly Role[];

export interface RouteAccess {
  method: 'GET' | 'POST';
  /** Express pattern as registered (`/api/items/:id`). */
  path: string;
  roles: RouteRoles;
  description?: string;
}

const INVESTIGATING: Role[] = ['investigator', 'auditor', 'secrecy-officer', 'responder'];
const PROVING: Role[] = ['auditor', 'investigator', 'secrecy-officer'];

export const ROUTE_ACCESS: readonly RouteAccess[] = [
  {
    method: 'GET',
    path: '/',
    roles: 'public',
    description: 'The dashboard page (asks for a key; the page itself holds no data).',
  },
  {
    method: 'GET',
    path: '/incidents/:id/report',
    roles: 'public',
    description:
      'The printable incident report (BG99 第4条), `?lang=zh-CN|en`: a page without data that fetches the report with the key of this tab (never in the URL).',
  },
  {
    method: 'GET',
    path: '/api/approvals',
    roles: ['approver'],
    description: 'Requests awaiting a decision: copy requests, classifications to review or approve.',
  },
  {
    method: 'GET',
    path: '/api/notifications',
    roles: ['responder', 'secrecy-officer'],
    description:
      'Webhook deliveries (LEDGER_WEBHOOKS), newest first, `?status=pending|delivered|failed|cancelled`: failed ones are those not acknowledged within 24 hours.',
  },
  {
    method: 'GET',
    path: '/health',
    roles: 'public',
    description: 'Liveness, with the store head and the projected position.',
  },
  {
    method: 'GET',
    path: '/health/ready',
    roles: 'public',
    description: 'Readiness: store reachable and projection lag within READY_MAX_LAG (200), else 503.',
  },
  {
    method: 'GET',
    path: '/metrics',
    roles: ['auditor'],
    description: 'Prometheus metrics (text format); no ids or titles in labels.',
  },
  {
    method: 'POST',
    path: '/api/commands/:name',
    roles: 'per-command',
    description: 'Every command; roles per command (COMMAND_ROLES).',
  },
  {
    method: 'POST',
    path: '/api/commands:batch',
    roles: 'per-command',
    description: 'Up to 1,000 commands, each with its own result and idempotency; roles per command.',
  },
  {
    method: 'GET',
    path: '/api/items',
    roles: 'any',
    description: 'Custody search: `?q=` (id or title), `status`, `custodian`.',
  },
  { method: 'GET', path: '/api/items/:id', roles: 'any', description: "An item's current custody state." },
  {
    method: 'GET',
    path: '/api/items/:id/readers',
    roles: 'any',
    description: 'Who may read the item, now or at an instant (paged).',
  },
  {
    method: 'GET',
    path: '/api/items/:id/history',
    roles: INVESTIGATING,
    description: 'Every event of the item (and its copies with `copies=true`), each with its verification state.',
  },
  {
    method: 'GET',
    path: '/api/items/:id/exposure',
    roles: INVESTIGATING,
    description: 'Everyone who held or read the item or a copy, flagged where outside scope.',
  },
  { method: 'GET', path: '/api/persons/:id/items', roles: 'any', description: 'Muster: what the person holds now.' },
  {
    method: 'GET',
    path: '/api/persons/:id/access',
    roles: 'any',
    description: 'What the person may read now, a page of items at a time.',
  },
  { method: 'GET', path: '/api/violations', roles: 'any', description: 'Violations, filtered and paged.' },
  {
    method: 'GET',
    path: '/api/incidents',
    roles: 'any',
    description: 'Incidents with their report deadline and time left.',
  },
  { method: 'GET', path: '/api/incidents/:id', roles: 'any', description: 'One incident.' },
  {
    method: 'GET',
    path: '/api/incidents/:id/report-draft',
    roles: ['responder', 'secrecy-officer', 'investigator'],
    description: 'The seven fields of the report, filled from the ledger.',
  },
  {
    method: 'GET',
    path: '/api/ledger/verify',
    roles: PROVING,
    description: 'Recomputes every hash chain; names the first event that does not match.',
  },
  {
    method: 'GET',
    path: '/api/ledger/checkpoint',
    roles: 'public',
    description:
      'The latest checkpoint as a C2SP tlog-checkpoint signed note (text/plain), cosignatures appended: what every witness is sent.',
  },
  { method: 'GET', path: '/api/ledger/checkpoints', roles: PROVING, description: 'Signed Merkle checkpoints.' },
  {
    method: 'GET',
    path: '/api/ledger/proofs/streams/:streamId',
    roles: PROVING,
    description:
      "A stream's head and its inclusion proof against a checkpoint's stream-heads root (`?size=`, default latest).",
  },
  {
    method: 'POST',
    path: '/api/ledger/checkpoints',
    roles: ['auditor'],
    description: 'Sign a checkpoint of the log now.',
  },
  {
    method: 'GET',
    path: '/api/ledger/proofs/:eventId',
    roles: PROVING,
    description: 'Inclusion proof of an event in a signed checkpoint.',
  },
  {
    method: 'GET',
    path: '/api/ledger/consistency',
    roles: PROVING,
    description: 'Consistency proof between two checkpoints.',
  },
  {
    method: 'GET',
    path: '/api/ledger/public-key',
    roles: 'public',
    description: 'The checkpoint signing key (PEM), for offline verification.',
  },
  {
    method: 'GET',
    path: '/api/feed',
    roles: INVESTIGATING,
    description: 'Live feed (server-sent events), resumable with Last-Event-ID.',
  },
  { method: 'GET', path: '/docs', roles: 'public', description: 'Swagger UI.' },
  { method: 'GET', path: '/docs/json', roles: 'public', description: 'This OpenAPI document.' },
  { method: 'GET', path: '/docs/yaml', roles: 'public', description: 'This OpenAPI document as YAML.' },
];

export const rolesText = (roles: readonly Role[]): string => [...roles, 'admin'].join(', ');

/** May a principal with these roles call the route (commands: decided per command in LedgerCore)? */
export const routeAllows = (access: RouteAccess, roles: readonly Role[]): boolean =>
  access.roles === 'public' ||
  access.roles === 'any' ||
  access.roles === 'per-command' ||
  roles.includes('admin') ||
  access.roles.some((r) => roles.includes(r));
