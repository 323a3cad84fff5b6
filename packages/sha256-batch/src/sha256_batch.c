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
#include <stdint.h>

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

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "level", NAPI_AUTO_LENGTH, level, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "level", fn) != napi_ok)
    return NULL;
  if (napi_create_function(env, "many", NAPI_AUTO_LENGTH, many, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "many", fn) != napi_ok)
    return NULL;
  return exports;
}
