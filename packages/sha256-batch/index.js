'use strict';
/**
 * The compiled addon (built by `node-gyp rebuild` when npm installs this package). Loading throws when it was not
 * built: callers that can do without it (libs/ledger's StreamHeadsTree falls back to node:crypto) catch that.
 */
module.exports = require('./build/Release/sha256_batch.node');
