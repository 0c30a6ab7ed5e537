/* testutil.h - small helpers shared by the Check suites. */
#ifndef VIRAL_TESTUTIL_H
#define VIRAL_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* Path under the repository: test_path(buf, "datasets/sample.csv"). */
const char *test_repo_path(char *buf, size_t size, const char *relative);
/* Path under ../shared/datasets; fails the test loudly when the shared
 * datasets are not there. Only cases tagged "shared" (tcase_set_tags) use it:
 * ctest runs those as NAME_shared, skipped without the data except under
 * CI=true, where they fail. */
const char *test_shared_path(char *buf, size_t size, const char *relative);
/* Path of the committed excerpt of a shared file (tests/data/excerpts/ mirrors
 * ../shared/datasets: "raw/tiktok-vn-2025/raw_data.csv"). */
const char *test_excerpt_path(char *buf, size_t size, const char *relative);
/* A fresh scratch directory for this test (created, emptied). */
const char *test_tmpdir(char *buf, size_t size, const char *name);
/* Write text to path; returns path. */
const char *test_write_file(const char *path, const char *text);
/* Read a whole file (NUL-terminated, caller frees), NULL if unreadable. */
char *test_read_file(const char *path, size_t *len);

/* Run the viral binary with a shell command line of arguments (stdin from
 * /dev/null unless stdin_path is given); capture stdout and stderr (caller
 * frees both) and return the exit status (or -1). */
int test_run_viral(const char *args, const char *stdin_path, char **out, char **err);
/* stdout of `viral ARGS`, which must exit 0 (else the test fails with its
 * stderr). Caller frees. */
char *test_viral_out(const char *args);
/* Copy the file at from to a temporary beside to, then rename it over to
 * (as train and update replace a model). */
void test_replace_file(const char *from, const char *to);

/* A pipeline's JSON form as compact text, for exact comparisons (caller
 * frees). */
struct viral_pipeline;
char *test_pipeline_json(const struct viral_pipeline *p);

/* Run a suite built by make_suite() and return the process exit status
 * (77 when it is the "shared" run and the data is missing outside CI). */
int test_main(Suite *suite);

/* 1 when Open MPI's mpirun started this test (tests/mpi.sh). */
int test_in_a_job(void);
/* test_main for a suite of collective cases (viral/dist.h): joins the job
 * (name and its error on stderr when it cannot), runs the suite in this
 * process (a forked child could not talk to the others) and leaves the job.
 * make_suite is called once the job is joined. */
int test_main_in_job(Suite *(*make_suite)(void), const char *name, int *argc, char ***argv);

#define ck_assert_double_near(a, b, tol)                                       \
  ck_assert_msg(fabs((double)(a) - (double)(b)) <= (tol),                      \
                "%s = %.17g, expected %.17g (tolerance %g)", #a, (double)(a),   \
                (double)(b), (double)(tol))

#endif
