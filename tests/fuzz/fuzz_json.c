/* fuzz_json.c - the JSON Lines and JSON document readers, the value parsers
 * and the default pipeline on arbitrary bytes. The first byte picks the
 * options (bit 0: JSON document, else JSON Lines; bit 1: skip bad rows;
 * bit 2: small limits, 256-byte lines, 8 fields, depth 4; bit 3: the JSON
 * path "data.items", or with bit 4 "[].data.items[0]"; bit 4 alone: the
 * path "[1]"; bit 5: field paths with array steps); the rest is the file. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.format = data[0] & 1 ? VIRAL_FORMAT_JSON : VIRAL_FORMAT_JSONL;
  o.skip_bad_rows = (data[0] >> 1) & 1;
  if (data[0] & 4) {
    o.max_record_bytes = 256;
    o.max_fields = 8;
    o.max_depth = 4;
  }
  static const char *const paths[] = {NULL, "data.items", "[1]", "[].data.items[0]"};
  o.json_path = paths[(data[0] >> 3) & 3];
  static const char *const fields[] = {"a[].b", "hashtags[].name", "c[0]", "d[2][]", "e[0].f[].g"};
  if (data[0] & 32) {
    o.field_paths = fields;
    o.field_path_count = sizeof fields / sizeof *fields;
  }
  fuzz_read_input("fuzz.json", data + 1, size - 1, &o);
  return 0;
}
