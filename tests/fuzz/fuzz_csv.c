/* fuzz_csv.c - the CSV reader, the value parsers and the default pipeline
 * on arbitrary bytes. The first byte picks the options (bit 0: skip bad
 * rows; bit 1: small limits, 256-byte records and 8 fields); the rest is the
 * file. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  viral_reader_options o;
  viral_reader_options_init(&o);
  o.format = VIRAL_FORMAT_CSV;
  o.skip_bad_rows = data[0] & 1;
  if (data[0] & 2) {
    o.max_record_bytes = 256;
    o.max_fields = 8;
  }
  fuzz_read_input("fuzz.csv", data + 1, size - 1, &o);
  return 0;
}
