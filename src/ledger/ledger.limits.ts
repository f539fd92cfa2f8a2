export const ledgerLimits = {
  // Ledger account ids each process remembers (one per merchant, account kind and currency in use): an id never
  // changes once committed, so a remembered one is never stale and needs no invalidation across processes; the
  // bound is only for memory (about 100 bytes each), the least recently used forgotten first, to be read again from
  // PostgreSQL. Ten thousand covers the accounts a busy process touches between two reads of the same one.
  accountIdsRememberedMax: 10_000,
};
