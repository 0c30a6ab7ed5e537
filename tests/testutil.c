/* testutil.c - see testutil.h. */
#define _GNU_SOURCE
#include "testutil.h"

#include "features/pipeline_json.h"
#include "viral/dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *test_repo_path(char *buf, size_t size, const char *relative) {
  snprintf(buf, size, "%s/%s", VIRAL_SOURCE_DIR, relative);
  return buf;
}

const char *test_shared_path(char *buf, size_t size, const char *relative) {
  snprintf(buf, size, "%s/%s", VIRAL_SHARED_DATASETS, relative);
  ck_assert_msg(access(buf, R_OK) == 0,
                "shared dataset %s is missing: the tests need ../shared/datasets beside the repo",
                buf);
  return buf;
}

const char *test_tmpdir(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", VIRAL_TEST_TMP, name);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", buf, buf);
  ck_assert_int_eq(system(cmd), 0);
  return buf;
}

const char *test_write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

char *test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (cap - n - 1 == 0) {
      char *grown = realloc(buf, cap * 2);
      if (!grown) { free(buf); buf = NULL; break; }
      buf = grown;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf) return NULL;
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

int test_run_viral(const char *args, const char *stdin_path, char **out, char **err) {
  char dir[4096], cmd[16384], out_path[4200], err_path[4200];
  snprintf(dir, sizeof dir, "%s/run.XXXXXX", VIRAL_TEST_TMP);
  mkdir(VIRAL_TEST_TMP, 0777);
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(out_path, sizeof out_path, "%s/stdout", dir);
  snprintf(err_path, sizeof err_path, "%s/stderr", dir);
  snprintf(cmd, sizeof cmd, "'%s' %s < '%s' > '%s' 2> '%s'", VIRAL_BINARY, args,
           stdin_path ? stdin_path : "/dev/null", out_path, err_path);
  int status = system(cmd);
  char *o = test_read_file(out_path, NULL), *e = test_read_file(err_path, NULL);
  if (out) *out = o; else free(o);
  if (err) *err = e; else free(e);
  unlink(out_path);
  unlink(err_path);
  rmdir(dir);
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

char *test_viral_out(const char *args) {
  char *out = NULL, *err = NULL;
  int status = test_run_viral(args, NULL, &out, &err);
  ck_assert_msg(status == 0, "viral %s: exit %d: %s", args, status, err);
  free(err);
  return out;
}

void test_replace_file(const char *from, const char *to) {
  char *text = test_read_file(from, NULL);
  ck_assert_msg(text != NULL, "cannot read %s", from);
  char tmp[4300];
  snprintf(tmp, sizeof tmp, "%s.new", to);
  test_write_file(tmp, text);
  ck_assert_int_eq(rename(tmp, to), 0);
  free(text);
}

const char *test_excerpt_path(char *buf, size_t size, const char *relative) {
  snprintf(buf, size, "%s/tests/data/excerpts/%s", VIRAL_SOURCE_DIR, relative);
  return buf;
}

/* ctest runs the cases tagged "shared" as their own test (CK_INCLUDE_TAGS):
 * without the data that test is skipped on a user's clone (exit 77, ctest's
 * SKIP_RETURN_CODE) and fails under CI=true, where the data must be there. */
static int shared_data_verdict(void) {
  const char *tags = getenv("CK_INCLUDE_TAGS");
  if (!tags || !strstr(tags, "shared") || access(VIRAL_SHARED_DATASETS, R_OK) == 0) return -1;
  const char *ci = getenv("CI");
  if (ci && strcmp(ci, "true") == 0) {
    fprintf(stderr, "%s is missing: CI=true requires the full-table tests to run\n",
            VIRAL_SHARED_DATASETS);
    return EXIT_FAILURE;
  }
  fprintf(stderr, "skipped: %s is not there (the full-table tests need it)\n",
          VIRAL_SHARED_DATASETS);
  return 77;
}

int test_main(Suite *suite) {
  SRunner *sr = srunner_create(suite);
  int verdict = shared_data_verdict();
  if (verdict >= 0) {
    srunner_free(sr);
    return verdict;
  }
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int test_in_a_job(void) { return getenv("OMPI_COMM_WORLD_SIZE") != NULL; }

int test_main_in_job(Suite *(*make_suite)(void), const char *name, int *argc, char ***argv) {
  viral_error err;
  viral_error_clear(&err);
  if (viral_dist_init(argc, argv, &err) != VIRAL_OK) {
    fprintf(stderr, "%s: %s\n", name, err.message);
    return EXIT_FAILURE;
  }
  if (test_in_a_job()) setenv("CK_FORK", "no", 1);
  int status = test_main(make_suite());
  viral_dist_finalize();
  return status;
}

char *test_pipeline_json(const viral_pipeline *p) {
  viral_error err;
  cJSON *j = viral_pipeline_to_json(p, &err);
  ck_assert_ptr_nonnull(j);
  char *s = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return s;
}
