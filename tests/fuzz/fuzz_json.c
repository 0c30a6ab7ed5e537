/* fuzz_json.c - the JSON Lines and JSON document readers, the value parsers
 * and the default pipeline on arbitrary bytes. The first byte picks the
 * options (bit 0: JSON document, else JSON Lines; bit 1: skip bad rows;
 * bit 2: small limits, 256-byte lines, 8 fields, depth 4; bit 3: the JSON
 * path "data.items"); the rest is the file. */
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
  if (data[0] & 8) o.json_path = "data.items";
  fuzz_read_input("fuzz.json", data + 1, size - 1, &o);
  return 0;
}
