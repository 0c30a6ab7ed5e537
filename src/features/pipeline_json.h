/* pipeline_json.h - the fitted pipeline as a cJSON object (embedded in the
 * model file). Internal: cJSON types stay out of include/viral/.
 *
 * The object is {"spec": {...}, "allow_leakage": bool, "fitted": bool,
 * "scaling": [[a, b], ...] one pair per dense column (mean/std or min/max),
 * "label_threshold": number|null, "names": [[index, collided, group, name(, count)], ...],
 * "profile"?: {"rows", "columns": [{"mean", "sd", "quantiles"?}, ...]}} (profile.c;
 * README "Reasons in words").
 * Numbers are printed by cJSON with up to 17 significant digits, which reads
 * back to the same double, so a round trip is exact. */
#ifndef VIRAL_PIPELINE_JSON_H
#define VIRAL_PIPELINE_JSON_H

#include <cJSON.h>

#include "viral/features.h"

/* A new cJSON object describing p (caller frees with cJSON_Delete), or NULL
 * with err set when out of memory. */
cJSON *viral_pipeline_to_json(const viral_pipeline *p, viral_error *err);

/* Rebuild a pipeline from viral_pipeline_to_json()'s object; source names the
 * file in messages. Checks shapes (one scaling pair per dense column, indices
 * inside the dimension). Free with viral_pipeline_free(). */
viral_pipeline *viral_pipeline_from_json(const cJSON *json, const char *source, viral_error *err);

#endif
