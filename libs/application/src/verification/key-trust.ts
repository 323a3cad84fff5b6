/**
 * What a verification without a pinned key proves (contract §4.1): nothing against whoever holds the data directory.
 * They hold the private key beside the public one (or can swap both), so they can re-sign any history. The warning is
 * one text for every front end (CLI human and JSON output, the API), so it cannot be softened in one of them.
 */
export const unpinnedKeyWarning = (keyFile: string | null): string =>
  keyFile
    ? `WARNING: no --public-key given: trusted the key found in the data directory (${keyFile}). This proves nothing against whoever holds the data directory: they can re-sign any history with it. Pin a copy of the key you keep: --public-key FILE.`
    : 'WARNING: no --public-key given and no key in the data directory: signatures were not checked at all. Pin a copy of the key you keep: --public-key FILE.';
