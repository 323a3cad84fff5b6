/** Given/when/then helpers for deciders (`@custody-ledger/ledger/testing`). */
export * from './decider-spec';
