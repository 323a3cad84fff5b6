/**
 * The refusal catalogue: every code a request or approval can be refused with, its HTTP status hint and its title,
 * in one place (as the violation catalogue is for facts). Deciders refuse with `refuse(code, message, field?)`; a code
 * not listed here does not compile. 409: the state forbids it now; 403: this person may not; 422: never acceptable.
 */
export const REFUSALS = {
  // Something by that id is already recorded.
  PERSON_EXISTS: { status: 409, title: 'Person already registered' },
  PLACE_EXISTS: { status: 409, title: 'Place already registered' },
  ITEM_EXISTS: { status: 409, title: 'Item already registered' },
  INCIDENT_EXISTS: { status: 409, title: 'Incident already recorded' },
  INVENTORY_EXISTS: { status: 409, title: 'Inventory already opened' },
  REQUEST_EXISTS: { status: 409, title: 'Request already recorded' },
  // The workflow is not at the step the request needs.
  NOT_PROPOSED: { status: 409, title: 'Classification not proposed' },
  NOT_REVIEWED: { status: 409, title: 'Classification not reviewed' },
  NOT_CLASSIFIED: { status: 409, title: 'Item not classified' },
  NOT_REQUESTED: { status: 409, title: 'Nothing was requested' },
  NOT_REPORTED: { status: 409, title: 'Incident not reported' },
  NOT_ORIGINATOR: { status: 409, title: 'Classified by another organ' },
  ITEM_DESTROYED: { status: 409, title: 'Item destroyed' },
  INVENTORY_CLOSED: { status: 409, title: 'Inventory closed' },
  COPY_FOLLOWS_ORIGINAL: { status: 409, title: 'A copy follows its original' },
  ALREADY_REPORTED: { status: 409, title: 'Incident already reported' },
  ALREADY_MERGED: { status: 409, title: 'Incident already merged' },
  ALREADY_RESOLVED: { status: 409, title: 'Violation already resolved' },
  ALREADY_CONCLUDED: { status: 409, title: 'Investigation already concluded' },
  ALREADY_CLOSED: { status: 409, title: 'Incident already closed' },
  // 002 第21条: a copy request is approved or refused, once.
  ALREADY_APPROVED: { status: 409, title: 'Request already approved' },
  ALREADY_REFUSED: { status: 409, title: 'Request already refused' },
  // This person may not give it.
  APPROVER_NOT_AUTHORIZED: { status: 403, title: 'Approver not authorized' },
  SELF_REVIEW: { status: 403, title: 'The proposer may not review' },
  // Never acceptable as asked.
  PERIOD_EXCEEDS_MAXIMUM: { status: 422, title: 'Period beyond the maximum' },
  PERIOD_ALREADY_EXPIRED: { status: 422, title: 'Period already expired' },
  DESTINATION_NOT_APPROVABLE: { status: 422, title: 'Destination not approvable' },
  COPY_NOT_ALLOWED: { status: 422, title: 'Copying not allowed' },
} as const satisfies Record<string, { status: 403 | 409 | 422; title: string }>;

export type RefusalCode = keyof typeof REFUSALS;
