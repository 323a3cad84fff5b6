/** Injection tokens of the service. */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const LEDGER_CORE = Symbol('LEDGER_CORE');
