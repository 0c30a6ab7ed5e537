/* viral/viral.h - every public header of libviral at once:
 *
 *   #include <viral/viral.h>
 *
 * and link with `pkg-config --libs viral`. The layers, bottom up (each
 * header says what it holds; ARCHITECTURE.md draws the map):
 *   error version           status codes, messages; the version
 *   dist                    the processes of an MPI job (one without MPI)
 *   record reader           records, value parsers, CSV/JSON readers
 *   vector writer vector_io sparse vectors; atomic outputs, exact numbers;
 *                           vectors as LIBSVM/VW text
 *   describe assemble gen   dataset summaries; snapshot logs to records;
 *                           the synthetic platform
 *   features                the feature pipeline (spec, transforms, labels)
 *   logistic svm gbt        the learners (online logistic, libsvm, XGBoost trees)
 *   calibrate               and probability calibration
 *   model                   models: train, update, score, save, load
 *   score                   the rows `viral score` writes; a scorer shared by
 *                           threads whose model can be replaced (`viral serve`)
 *   metrics report eval     metrics, reports, cross- and progressive validation
 *   stream                  the long-running scorer and learner */
#ifndef VIRAL_VIRAL_H
#define VIRAL_VIRAL_H

#include "viral/dist.h"
#include "viral/error.h"
#include "viral/version.h"

#include "viral/record.h"
#include "viral/reader.h"

#include "viral/vector.h"
#include "viral/vector_io.h"
#include "viral/writer.h"

#include "viral/assemble.h"
#include "viral/describe.h"
#include "viral/gen.h"

#include "viral/features.h"
#include "viral/rows.h"
#include "viral/cache.h"

#include "viral/calibrate.h"
#include "viral/logistic.h"
#include "viral/svm.h"
#include "viral/gbt.h"
#include "viral/learner.h"

#include "viral/model.h"
#include "viral/score.h"

#include "viral/eval.h"
#include "viral/metrics.h"
#include "viral/report.h"

#include "viral/stream.h"

#endif
