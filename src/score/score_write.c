/* score_write.c - the rows `viral score` scores and writes (viral/score.h),
 * once for the command and for the scorer behind `viral serve`. */
#include <stdio.h>
#include <string.h>

#include "viral/score.h"
#include "viral/writer.h"

void viral_score_write_csv_header(FILE *out, size_t explain) {
  fprintf(out, "video_id,probability,viral%s\n", explain ? ",reasons" : "");
}

void viral_score_write_csv_row(FILE *out, const viral_scored_row *row) {
  char num[32];
  viral_csv_write_cell(out, row->id.ptr, row->id.len);
  fprintf(out, ",%s,%d", viral_format_double(num, row->prediction->probability), row->prediction->label);
  if (!row->explain) {
    fputc('\n', out);
    return;
  }
  /* reasons in one cell: "shares/views at 2h = 0.031 (top 4% of training) -> +1.48; ..." */
  char cell[VIRAL_SCORE_MAX_EXPLAIN * (VIRAL_REASON_TEXT_MAX + 2)];
  size_t used = 0;
  cell[0] = '\0';
  for (size_t i = 0; i < row->n && used < sizeof cell; i++) {
    if (i) used += (size_t)snprintf(cell + used, sizeof cell - used, "; ");
    if (used < sizeof cell) used += (size_t)viral_reason_text(&row->reasons[i], cell + used, sizeof cell - used);
  }
  fputc(',', out);
  viral_csv_write_cell(out, cell, strlen(cell));
  fputc('\n', out);
}

void viral_score_write_json_row(FILE *out, const viral_scored_row *row) {
  char num[32];
  fputs("{\"video_id\":", out);
  viral_json_write_string(out, row->id.ptr, row->id.len);
  fprintf(out, ",\"probability\":%s,\"viral\":%d", viral_format_double(num, row->prediction->probability),
          row->prediction->label);
  if (row->explain) {
    fputs(",\"reasons\":", out);
    viral_reasons_write_json(out, row->reasons, row->n);
  }
  fputc('}', out);
}

int viral_score_next_row(const viral_model *m, viral_model_scratch *scratch, viral_rows *rows,
                         size_t explain, viral_prediction *pred, viral_reason *reasons,
                         viral_scored_row *out, viral_error *err) {
  const viral_row *row;
  int rc;
  while ((rc = viral_rows_next(rows, &row, err)) == 1) {
    size_t n = 0;
    rc = viral_model_predict_vector(m, row->x, pred, err);
    if (rc == VIRAL_OK) rc = viral_model_explain(m, scratch, row->x, row->rec, reasons, explain, &n, err);
    if (rc == VIRAL_OK) {
      viral_scored_row scored = {{row->id, row->id_len}, pred, reasons, n, explain, row->record};
      *out = scored;
      return 1;
    }
    if ((rc = viral_rows_reject(rows, err)) != VIRAL_OK) return rc;
  }
  return rc;
}
