/*
 * SHA-256 of many small inputs in one call from JavaScript.
 *
 * Why this exists (written by hand because no library does it): the stream-heads tree (contract §4.1) rehashes tens
 * of thousands of 65-byte RFC 9162 nodes and ~150-byte leaves per checkpoint. node:crypto has no batch API, and each
 * crypto.hash call costs ~400 ns on Node 20 (argument checks in JavaScript, then OpenSSL 3's EVP digest set-up per
 * call) against ~60 ns per 64-byte block of the compression itself (SHA-NI). The batched Merkle hashers on npm
 * (@chainsafe/hashtree, @chainsafe/as-sha256) hash only 64-byte messages (SSZ's left ‖ right), and RFC 9162 prefixes
 * every node with 0x01. So this file does only the batching: the hashing is OpenSSL's, the very copy inside the Node
 * binary (its SHA256_* symbols, resolved when the addon is loaded), through the low-level SHA256_Init/Update/Final,
 * which skip the EVP fetch and use the same assembly (deprecated in OpenSSL 3, still built by Node).
 *
 * Every argument is checked before any byte is written: a bad call throws a RangeError/TypeError and writes nothing.
 */
#include <node_api.h>
#include <openssl/sha.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/** A TypedArray argument's element type, element count and data, or 0 when it is not one. */
static int typed_of(napi_env env, napi_value value, napi_typedarray_type *type, size_t *count, void **data) {
  napi_value buffer;
  size_t offset;
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  return napi_get_typedarray_info(env, value, type, count, data, &buffer, &offset) == napi_ok;
}

/** The bytes of a TypedArray argument (any element type), or 0 when it is not one. */
static int bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  size_t count;
  void *raw;
  if (!typed_of(env, value, &type, &count, &raw)) return 0;
  size_t size = 1;
  switch (type) {
    case napi_int16_array:
    case napi_uint16_array:
      size = 2;
      break;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      size = 4;
      break;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      size = 8;
      break;
    default:
      size = 1;
  }
  *data = (uint8_t *)raw;
  *length = count * size;
  return 1;
}

/** An Int32Array argument, or 0. */
static int ints_of(napi_env env, napi_value value, int32_t **data, size_t *count) {
  napi_typedarray_type type;
  void *raw;
  if (!typed_of(env, value, &type, count, &raw) || type != napi_int32_array) return 0;
  *data = (int32_t *)raw;
  return 1;
}

static int int_of(napi_env env, napi_value value, int32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, value, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_int32(env, value, out) == napi_ok;
}

/** SHA-256(0x01 ‖ pair) into out: one RFC 9162 interior node from its two 32-byte children. */
static void node_hash(const uint8_t *pair, uint8_t *out) {
  static const uint8_t interior = 0x01;
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, &interior, 1);
  SHA256_Update(&c, pair, 64);
  SHA256_Final(out, &c);
}

/* level(below, out, marks, keep, count) → nodes hashed */
static napi_value level(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *below, *out, *marks;
  size_t below_length, out_length, marks_length;
  int32_t keep, count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 5 || !bytes_of(env, argv[0], &below, &below_length) || !bytes_of(env, argv[1], &out, &out_length) ||
      !bytes_of(env, argv[2], &marks, &marks_length) || !int_of(env, argv[3], &keep) || !int_of(env, argv[4], &count)) {
    napi_throw_type_error(env, NULL, "level(below, out, marks, keep, count): typed arrays and two integers");
    return NULL;
  }
  if (keep < 0 || count < 0 || keep > count || (size_t)count * 64 > below_length ||
      (size_t)count * 32 > out_length || (size_t)keep * 2 > marks_length) {
    napi_throw_range_error(env, NULL, "level: keep or count out of the arrays' range");
    return NULL;
  }
  int32_t hashed = 0;
  // Left of keep only the parents of marked children; marks[j] is written after marks[2j] and marks[2j + 1] are
  // read (2j >= j), so one array serves every level.
  for (int32_t j = 0; j < keep; j++) {
    if ((marks[2 * (size_t)j] | marks[2 * (size_t)j + 1]) == 0) {
      marks[j] = 0;
      continue;
    }
    marks[j] = 1;
    node_hash(below + 64 * (size_t)j, out + 32 * (size_t)j);
    hashed++;
  }
  for (int32_t j = keep; j < count; j++) {
    node_hash(below + 64 * (size_t)j, out + 32 * (size_t)j);
    hashed++;
  }
  napi_value result;
  napi_create_int32(env, hashed, &result);
  return result;
}

/* many(input, ranges, count, out, offsets) */
static napi_value many(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *input, *out;
  int32_t *ranges, *offsets;
  size_t input_length, out_length, ranges_count, offsets_count;
  int32_t count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 5 || !bytes_of(env, argv[0], &input, &input_length) || !ints_of(env, argv[1], &ranges, &ranges_count) ||
      !int_of(env, argv[2], &count) || !bytes_of(env, argv[3], &out, &out_length) ||
      !ints_of(env, argv[4], &offsets, &offsets_count)) {
    napi_throw_type_error(env, NULL, "many(input, ranges: Int32Array, count, out, offsets: Int32Array)");
    return NULL;
  }
  if (count < 0 || (size_t)count * 2 > ranges_count || (size_t)count > offsets_count) {
    napi_throw_range_error(env, NULL, "many: count beyond ranges or offsets");
    return NULL;
  }
  // Checked whole first, so that a bad range throws before anything is written.
  for (int32_t i = 0; i < count; i++) {
    int32_t from = ranges[2 * (size_t)i], to = ranges[2 * (size_t)i + 1];
    if (from < 0 || to < from || (size_t)to > input_length || offsets[i] < 0 ||
        (size_t)offsets[i] + 32 > out_length) {
      napi_throw_range_error(env, NULL, "many: a range or an offset out of bounds");
      return NULL;
    }
  }
  for (int32_t i = 0; i < count; i++) {
    int32_t from = ranges[2 * (size_t)i], to = ranges[2 * (size_t)i + 1];
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, input + from, (size_t)(to - from));
    SHA256_Final(out + offsets[i], &c);
  }
  return NULL;
}

/*
 * walkRows: the verify worker's fast path over a page of rows as SQLite hands them over in one BLOB (no JavaScript
 * value per row). It is ChainVerifier.checkStoredText's fast path (libs/ledger/src/store/sqlite.row-codec.ts,
 * storedHashedText and expandMetadata: the same text, the same checks) with the chain state in arrays indexed by the
 * stream's number, and it only ever accepts: a row it cannot accept by that path stops the call, and the caller
 * checks that row itself (the verifier decides) and calls again after it. libs/ledger/src/integrity/row-walk.ts has
 * the same function in JavaScript; row-walk.spec.ts holds the two to each other.
 *
 * A row of the page: `P,S,R,T,DL,ML,` (decimal integers: position, stream number, revision, type number, the byte
 * lengths of data and metadata), then the hash's 32 bytes, the event id's 16, the data's DL bytes and the metadata's
 * ML; or `P,*` for a row not of that shape (read whole by the caller).
 */

/** Where walkRows stopped (state[2]). */
enum { STOP_END = 0, STOP_ROW = 1, STOP_HEAD = 2, STOP_SCRATCH = 3, STOP_FULL = 4, STOP_FRAME = 5 };
/** revisions[s]: the stream has no head in this walk yet (the caller reads it), or its head is the caller's. */
#define HEAD_UNKNOWN (-2.0)
#define HEAD_CALLER (-3.0)
#define MAX_SAFE 9007199254740991.0

/** A decimal integer at p (optional '-', 1 to 18 digits) ending at `end_char`; its value, p moved past end_char. */
static int decimal_at(const uint8_t **p, const uint8_t *end, uint8_t end_char, double *value, const uint8_t **digits,
                      size_t *digits_length) {
  const uint8_t *q = *p;
  int negative = 0;
  if (q < end && *q == '-') {
    negative = 1;
    q++;
  }
  const uint8_t *first = q;
  int64_t v = 0;
  while (q < end && *q >= '0' && *q <= '9') {
    if (q - first >= 18) return 0;
    v = v * 10 + (*q - '0');
    q++;
  }
  if (q == first || q >= end || *q != end_char) return 0;
  if (digits) {
    *digits = *p;
    *digits_length = (size_t)(q - *p);
  }
  *value = negative ? -(double)v : (double)v;
  *p = q + 1;
  return 1;
}

static const char HEX[] = "0123456789abcdef";

static uint8_t *hex_into(uint8_t *out, const uint8_t *bytes, size_t n) {
  for (size_t i = 0; i < n; i++) {
    *out++ = (uint8_t)HEX[bytes[i] >> 4];
    *out++ = (uint8_t)HEX[bytes[i] & 15];
  }
  return out;
}

static uint8_t *put(uint8_t *out, const char *text, size_t n) {
  memcpy(out, text, n);
  return out + n;
}
#define PUT(out, literal) put(out, literal, sizeof(literal) - 1)

/** True when needle (n bytes, first byte ',') occurs in [from, to). */
static int holds(const uint8_t *from, const uint8_t *to, const char *needle, size_t n) {
  while (from + n <= to) {
    const uint8_t *c = memchr(from, needle[0], (size_t)(to - from) - n + 1);
    if (!c) return 0;
    if (memcmp(c, needle, n) == 0) return 1;
    from = c + 1;
  }
  return 0;
}

/** The top-level keys every ledger event has, by marker byte - 3 (row-codec KEYS: fixed forever, the file format). */
static const char *const KEY_EXPANSION[] = {"\"actor\":",      "\"causationId\":", "\"commandId\":",
                                            "\"correlationId\":", "\"occurredAt\":", "\"recordedAt\":",
                                            "\"schemaVersion\":"};

/**
 * expandMetadata of the stored metadata [m, m + n) into out with prev_hex as prevHash; the end of what it wrote, or
 * NULL where expandMetadata throws (a command id without its closing quote). The caller made room for the longest
 * expansion (80 bytes a stored byte).
 */
static uint8_t *expand_into(uint8_t *out, const uint8_t *m, size_t n, const uint8_t *prev_hex) {
  const uint8_t *from = m;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = m[i];
    if (c > 9) continue;
    if (c >= 3) {
      out = put(out, (const char *)from, (size_t)(m + i - from));
      out = put(out, KEY_EXPANSION[c - 3], strlen(KEY_EXPANSION[c - 3]));
      from = m + i + 1;
    } else if (c == 1) {
      out = put(out, (const char *)from, (size_t)(m + i - from));
      out = PUT(out, "\"prevHash\":\"");
      out = put(out, (const char *)prev_hex, 64);
      out = PUT(out, "\"");
      from = m + i + 1;
    } else if (c == 2) {
      // expandMetadata: the token is from the quote after the marker to the next quote.
      if (i + 1 >= n || m[i + 1] != '"') return NULL;
      const uint8_t *close = i + 2 < n ? memchr(m + i + 2, '"', n - i - 2) : NULL;
      if (!close) return NULL;
      size_t token = (size_t)(close + 1 - (m + i + 1));
      out = put(out, (const char *)from, (size_t)(m + i - from));
      out = PUT(out, "\"commandId\":");
      out = put(out, (const char *)(m + i + 1), token);
      out = PUT(out, ",\"correlationId\":");
      out = put(out, (const char *)(m + i + 1), token);
      i = (size_t)(close - m);
      from = close + 1;
    }
  }
  return put(out, (const char *)from, (size_t)(m + n - from));
}

/** A token range of `tokens` (ranges[2k], ranges[2k + 1]), or 0 when k has none or it lies outside. */
static int token_of(const int32_t *ranges, size_t count, const uint8_t *tokens, size_t tokens_length, double k,
                    const uint8_t **token, size_t *length) {
  if (!(k >= 0) || k >= (double)(count / 2)) return 0;
  size_t i = (size_t)k;
  int32_t from = ranges[2 * i], to = ranges[2 * i + 1];
  if (from < 0 || to <= from || (size_t)to > tokens_length) return 0;
  *token = tokens + from;
  *length = (size_t)(to - from);
  return 1;
}

static double *doubles_of(napi_env env, napi_value value, size_t *count) {
  napi_typedarray_type type;
  void *raw;
  if (!typed_of(env, value, &type, count, &raw) || type != napi_float64_array) return NULL;
  return (double *)raw;
}

/*
 * walkRows(page, at, tokens, streamTokens, typeTokens, heads, revisions, positionsOut, revisionsOut, leavesOut,
 * state, scratch) → the offset in page where it stopped.
 *
 * page: the rows (above), from byte `at`. tokens: UTF-8 bytes; streamTokens[2s], [2s + 1] the range of stream s's
 * `,"streamId":S`, typeTokens likewise of type t's `,"type":Y}`. heads: 32 bytes a stream, its head's hash;
 * revisions: a Float64Array, stream s's head revision (-1: none, revision 0 is next and prevHash the genesis hash,
 * which heads holds; -2: not read yet; -3: the caller keeps it). positionsOut (Float64Array), revisionsOut
 * (Int32Array), leavesOut (32 bytes a row: SHA-256(0x00 ‖ hash), RFC 9162's leaf) get each accepted row at index
 * state[1], which moves on. state (Float64Array of 8): [0] the last position accepted (in and out), [1] rows
 * written, [2] why it stopped, [3]–[5] the stopped row's position, stream number and revision (NaN where the row did
 * not say), [6] where that row ends in page, [7] the scratch bytes the row needs. scratch: where a row's text is
 * assembled.
 */
static napi_value walk_rows(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  uint8_t *page, *tokens, *heads, *leaves, *scratch;
  size_t page_length, tokens_length, heads_length, leaves_length, scratch_length;
  int32_t *stream_tokens, *type_tokens, *revisions_out;
  size_t stream_tokens_count, type_tokens_count, revisions_out_count, revisions_count, positions_count, state_count;
  double *revisions, *positions, *state;
  int32_t at;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 12 || !bytes_of(env, argv[0], &page, &page_length) || !int_of(env, argv[1], &at) ||
      !bytes_of(env, argv[2], &tokens, &tokens_length) ||
      !ints_of(env, argv[3], &stream_tokens, &stream_tokens_count) ||
      !ints_of(env, argv[4], &type_tokens, &type_tokens_count) || !bytes_of(env, argv[5], &heads, &heads_length) ||
      !(revisions = doubles_of(env, argv[6], &revisions_count)) ||
      !(positions = doubles_of(env, argv[7], &positions_count)) ||
      !ints_of(env, argv[8], &revisions_out, &revisions_out_count) ||
      !bytes_of(env, argv[9], &leaves, &leaves_length) || !(state = doubles_of(env, argv[10], &state_count)) ||
      !bytes_of(env, argv[11], &scratch, &scratch_length)) {
    napi_throw_type_error(env, NULL,
                          "walkRows(page, at, tokens, streamTokens: Int32Array, typeTokens: Int32Array, heads, "
                          "revisions: Float64Array, positions: Float64Array, revisionsOut: Int32Array, leaves, "
                          "state: Float64Array, scratch)");
    return NULL;
  }
  size_t streams = revisions_count;
  size_t capacity = positions_count;
  if (at < 0 || (size_t)at > page_length || state_count < 8 || heads_length < 32 * streams ||
      stream_tokens_count < 2 * streams || revisions_out_count < capacity || leaves_length < 32 * capacity ||
      !(state[1] >= 0) || state[1] > (double)capacity) {
    napi_throw_range_error(env, NULL, "walkRows: an offset or an array out of the others' range");
    return NULL;
  }
  size_t n = (size_t)state[1];
  double last = state[0];
  const uint8_t *p = page + at;
  const uint8_t *end = page + page_length;
  int stop = STOP_END;
  const uint8_t *row = p;
  double position = NAN, stream = NAN, revision = NAN, need = 0;
  while (p < end) {
    row = p;
    position = stream = revision = NAN;
    double type, data_length, metadata_length;
    const uint8_t *digits;
    size_t digits_length;
    if (!decimal_at(&p, end, ',', &position, NULL, NULL)) {
      stop = STOP_FRAME;
      break;
    }
    if (p < end && *p == '*') {
      p++;
      stop = STOP_ROW;
      break;
    }
    if (!decimal_at(&p, end, ',', &stream, NULL, NULL) || !decimal_at(&p, end, ',', &revision, &digits, &digits_length) ||
        !decimal_at(&p, end, ',', &type, NULL, NULL) || !decimal_at(&p, end, ',', &data_length, NULL, NULL) ||
        !decimal_at(&p, end, ',', &metadata_length, NULL, NULL) || data_length < 0 || metadata_length < 0 ||
        (double)(end - p) < 48 + data_length + metadata_length) {
      stop = STOP_FRAME;
      break;
    }
    const uint8_t *hash = p, *id = p + 32, *data = p + 48;
    size_t dn = (size_t)data_length, mn = (size_t)metadata_length;
    const uint8_t *metadata = data + dn;
    p = metadata + mn;
    const uint8_t *stream_token, *type_token;
    size_t stream_token_length, type_token_length;
    if (!token_of(stream_tokens, 2 * streams, tokens, tokens_length, stream, &stream_token, &stream_token_length) ||
        !token_of(type_tokens, type_tokens_count, tokens, tokens_length, type, &type_token, &type_token_length) ||
        !(position <= MAX_SAFE) || !(revision >= 0 && revision <= MAX_SAFE)) {
      stop = STOP_ROW;
      break;
    }
    size_t s = (size_t)stream;
    double head = revisions[s];
    if (head == HEAD_UNKNOWN) {
      stop = STOP_HEAD;
      break;
    }
    // ChainVerifier.nextOf: the position moving on, the stream's next revision.
    if (head == HEAD_CALLER || !(position > last) || revision != head + 1) {
      stop = STOP_ROW;
      break;
    }
    need = 64 + 8 + (double)dn + 13 + 36 + 14 + 80.0 * (double)mn + 2 + 12 + (double)digits_length +
           (double)stream_token_length + (double)type_token_length;
    if (need > (double)scratch_length) {
      stop = STOP_SCRATCH;
      break;
    }
    if (n >= capacity) {
      stop = STOP_FULL;
      break;
    }
    // storedHashedText: prevHash ‖ {"data":D,"eventId":"<uuid>","metadata":expand(M),"revision":R ‖ back.
    uint8_t *out = hex_into(scratch, heads + 32 * s, 32);
    const uint8_t *prev_hex = scratch;
    out = PUT(out, "{\"data\":");
    out = put(out, (const char *)data, dn);
    out = PUT(out, ",\"eventId\":\"");
    out = hex_into(out, id, 4);
    *out++ = '-';
    out = hex_into(out, id + 4, 2);
    *out++ = '-';
    out = hex_into(out, id + 6, 2);
    *out++ = '-';
    out = hex_into(out, id + 8, 2);
    *out++ = '-';
    out = hex_into(out, id + 10, 6);
    out = PUT(out, "\",\"metadata\":");
    uint8_t *head_from = out;
    out = expand_into(out, metadata, mn, prev_hex);
    // The cut points must be unambiguous (row codec, storedEventHash): declined, the caller decides.
    if (!out || holds(data, data + dn, ",\"eventId\":", 11) || holds(head_from, out, ",\"eventId\":", 11) ||
        holds(head_from, out, ",\"revision\":", 12)) {
      stop = STOP_ROW;
      break;
    }
    out = PUT(out, ",\"revision\":");
    out = put(out, (const char *)digits, digits_length);
    out = put(out, (const char *)stream_token, stream_token_length);
    out = put(out, (const char *)type_token, type_token_length);
    uint8_t digest[32];
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, scratch, (size_t)(out - scratch));
    SHA256_Final(digest, &c);
    if (memcmp(digest, hash, 32) != 0) {
      stop = STOP_ROW;
      break;
    }
    // Accepted (ChainVerifier.accept): the stream's head, the position, the leaf.
    memcpy(heads + 32 * s, hash, 32);
    revisions[s] = revision;
    last = position;
    positions[n] = position;
    // As an Int32Array stores a number: modulo 2^32 (revision is an integer of at most 2^53 here).
    revisions_out[n] = (int32_t)(uint32_t)(uint64_t)(int64_t)revision;
    static const uint8_t leaf = 0x00;
    SHA256_Init(&c);
    SHA256_Update(&c, &leaf, 1);
    SHA256_Update(&c, hash, 32);
    SHA256_Final(leaves + 32 * n, &c);
    n++;
  }
  state[0] = last;
  state[1] = (double)n;
  state[2] = stop;
  state[3] = stop == STOP_END ? NAN : position;
  state[4] = stop == STOP_END ? NAN : stream;
  state[5] = stop == STOP_END ? NAN : revision;
  state[6] = (double)(p - page);
  state[7] = need;
  napi_value result;
  napi_create_int32(env, (int32_t)((stop == STOP_END ? p : row) - page), &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "level", NAPI_AUTO_LENGTH, level, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "level", fn) != napi_ok)
    return NULL;
  if (napi_create_function(env, "many", NAPI_AUTO_LENGTH, many, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "many", fn) != napi_ok)
    return NULL;
  if (napi_create_function(env, "walkRows", NAPI_AUTO_LENGTH, walk_rows, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "walkRows", fn) != napi_ok)
    return NULL;
  return exports;
}
