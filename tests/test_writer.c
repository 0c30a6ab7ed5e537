/* test_writer.c - the output writer, CSV cells and exact numbers (viral/writer.h). */
#define _GNU_SOURCE /* mknod */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "testutil.h"
#include "viral/writer.h"

/* Files in dir (to see that no temporary file is left behind). */
static int count_files(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  closedir(d);
  return n;
}

START_TEST(commit_replaces_the_file) {
  char dir[4096], path[4200];
  test_tmpdir(dir, sizeof dir, "writer_commit");
  snprintf(path, sizeof path, "%s/model.json", dir);
  test_write_file(path, "old contents\n");
  viral_error err = {0};
  viral_atomic_file *f = viral_atomic_open(path, &err);
  ck_assert_msg(f != NULL, "%s", err.message);
  fputs("new contents\n", viral_atomic_stream(f));
  /* until commit the old file is what readers see */
  char *text = test_read_file(path, NULL);
  ck_assert_str_eq(text, "old contents\n");
  free(text);
  ck_assert_int_eq(viral_atomic_commit(f, &err), VIRAL_OK);
  text = test_read_file(path, NULL);
  ck_assert_str_eq(text, "new contents\n");
  free(text);
  ck_assert_int_eq(count_files(dir), 1);
}
END_TEST

START_TEST(abort_leaves_the_old_file) {
  char dir[4096], path[4200];
  test_tmpdir(dir, sizeof dir, "writer_abort");
  snprintf(path, sizeof path, "%s/model.json", dir);
  test_write_file(path, "old contents\n");
  viral_error err = {0};
  viral_atomic_file *f = viral_atomic_open(path, &err);
  ck_assert_ptr_nonnull(f);
  fputs("half a mod", viral_atomic_stream(f));
  viral_atomic_abort(f);
  viral_atomic_abort(NULL);
  char *text = test_read_file(path, NULL);
  ck_assert_str_eq(text, "old contents\n");
  free(text);
  ck_assert_int_eq(count_files(dir), 1);
}
END_TEST

START_TEST(open_in_missing_directory_fails) {
  viral_error err = {0};
  viral_atomic_file *f = viral_atomic_open("/nonexistent/dir/model.json", &err);
  ck_assert_ptr_null(f);
  ck_assert_str_eq(err.message,
                   "/nonexistent/dir/model.json: cannot create temporary file: No such file or "
                   "directory");
}
END_TEST

/* Write text to path through the writer and commit; the status. */
static int write_through(const char *path, const char *text, viral_error *err) {
  viral_atomic_file *f = viral_atomic_open(path, err);
  if (!f) return err->code;
  fputs(text, viral_atomic_stream(f));
  return viral_atomic_commit(f, err);
}

static void check_text(const char *path, const char *expected) {
  char *text = test_read_file(path, NULL);
  ck_assert_msg(text != NULL, "%s is not there", path);
  ck_assert_str_eq(text, expected);
  free(text);
}

static void check_link(const char *path, const char *expected_target) {
  char target[4096];
  ssize_t n = readlink(path, target, sizeof target - 1);
  ck_assert_msg(n >= 0, "%s is no longer a symbolic link", path);
  target[n] = '\0';
  ck_assert_str_eq(target, expected_target);
}

/* Writing through a symbolic link replaces the file it points to, followed
 * to the end of a chain, relative to the link's directory, and creates it
 * when the link dangles; the links stay links. */
START_TEST(symlink_target_replaced_link_kept) {
  char dir[4096], path[4300], sub[4200];
  test_tmpdir(dir, sizeof dir, "writer_symlink");
  snprintf(sub, sizeof sub, "%s/sub", dir);
  ck_assert_int_eq(mkdir(sub, 0777), 0);
  snprintf(path, sizeof path, "%s/real.json", sub);
  test_write_file(path, "old\n");
  char link1[4300], link2[4300];
  snprintf(link1, sizeof link1, "%s/current.json", sub); /* sub/current.json -> real.json */
  ck_assert_int_eq(symlink("real.json", link1), 0);
  snprintf(link2, sizeof link2, "%s/top.json", dir); /* top.json -> sub/current.json */
  ck_assert_int_eq(symlink("sub/current.json", link2), 0);
  viral_error err = {0};
  ck_assert_msg(write_through(link2, "new\n", &err) == VIRAL_OK, "%s", err.message);
  check_link(link2, "sub/current.json");
  check_link(link1, "real.json");
  check_text(path, "new\n");
  ck_assert_int_eq(count_files(dir), 2);
  ck_assert_int_eq(count_files(sub), 2);
  /* a dangling link: its target is created */
  char dangling[4300], missing[4300];
  snprintf(dangling, sizeof dangling, "%s/next.json", dir);
  snprintf(missing, sizeof missing, "%s/missing.json", sub);
  ck_assert_int_eq(symlink(missing, dangling), 0);
  ck_assert_msg(write_through(dangling, "created\n", &err) == VIRAL_OK, "%s", err.message);
  check_link(dangling, missing);
  check_text(missing, "created\n");
}
END_TEST

/* A FIFO is written into, not replaced by a regular file. */
START_TEST(fifo_written_directly) {
  char dir[4096], path[4200];
  test_tmpdir(dir, sizeof dir, "writer_fifo");
  snprintf(path, sizeof path, "%s/pipe", dir);
  ck_assert_int_eq(mkfifo(path, 0666), 0);
  int reader = open(path, O_RDONLY | O_NONBLOCK); /* a reader, so opening to write does not block */
  ck_assert_int_ge(reader, 0);
  viral_error err = {0};
  ck_assert_msg(write_through(path, "through the pipe\n", &err) == VIRAL_OK, "%s", err.message);
  char got[64] = {0};
  ck_assert_int_eq(read(reader, got, sizeof got - 1), 17);
  ck_assert_str_eq(got, "through the pipe\n");
  close(reader);
  struct stat st;
  ck_assert_int_eq(lstat(path, &st), 0);
  ck_assert(S_ISFIFO(st.st_mode));
  ck_assert_int_eq(count_files(dir), 1);
}
END_TEST

/* A character device like /dev/full: mknod'ed in the scratch directory
 * where allowed (root, as in CI), so a writer that replaced devices would
 * not destroy the real one; else the real one. */
static const char *full_device(char *buf, size_t size, const char *dir) {
  snprintf(buf, size, "%s/full", dir);
  if (mknod(buf, S_IFCHR | 0666, makedev(1, 7)) == 0) return buf;
  return "/dev/full";
}

/* A device is written into; its write error is reported, not hidden. */
START_TEST(device_written_directly_errors_reported) {
  char dir[4096], dev[4200];
  test_tmpdir(dir, sizeof dir, "writer_device");
  const char *path = full_device(dev, sizeof dev, dir);
  viral_error err = {0};
  ck_assert_int_eq(write_through(path, "no room\n", &err), VIRAL_ERR_IO);
  char expected[4400];
  snprintf(expected, sizeof expected, "%s: write error: No space left on device", path);
  ck_assert_str_eq(err.message, expected);
  struct stat st;
  ck_assert_int_eq(lstat(path, &st), 0);
  ck_assert(S_ISCHR(st.st_mode));
  ck_assert_int_eq(count_files(dir), path == dev ? 1 : 0);
}
END_TEST

/* "-" is standard output: no file of that name. */
START_TEST(dash_is_stdout) {
  char dir[4096];
  test_tmpdir(dir, sizeof dir, "writer_dash");
  ck_assert_int_eq(chdir(dir), 0); /* each test runs in its own process */
  viral_error err = {0};
  viral_atomic_file *f = viral_atomic_open("-", &err);
  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_eq(viral_atomic_stream(f), stdout);
  ck_assert_int_eq(viral_atomic_commit(f, &err), VIRAL_OK);
  ck_assert_int_eq(count_files("."), 0);
  ck_assert_int_ge(fputs("", stdout), 0); /* still open */
}
END_TEST

static unsigned mode_of(const char *path) {
  struct stat st;
  ck_assert_int_eq(stat(path, &st), 0);
  return (unsigned)(st.st_mode & 07777);
}

/* A new file gets 0666 less the umask; a replaced one keeps its mode. */
START_TEST(mode_follows_umask_or_old_file) {
  char dir[4096], path[4200];
  test_tmpdir(dir, sizeof dir, "writer_mode");
  snprintf(path, sizeof path, "%s/out.csv", dir);
  viral_error err = {0};
  mode_t saved = umask(077);
  ck_assert_int_eq(write_through(path, "x\n", &err), VIRAL_OK);
  ck_assert_uint_eq(mode_of(path), 0600);
  ck_assert_int_eq(unlink(path), 0);
  umask(022);
  ck_assert_int_eq(write_through(path, "x\n", &err), VIRAL_OK);
  ck_assert_uint_eq(mode_of(path), 0644);
  ck_assert_int_eq(chmod(path, 0604), 0);
  umask(077);
  ck_assert_int_eq(write_through(path, "y\n", &err), VIRAL_OK);
  ck_assert_uint_eq(mode_of(path), 0604);
  umask(saved);
  check_text(path, "y\n");
}
END_TEST

/* A link planted at a guessable temporary name is not written through. */
START_TEST(planted_temporary_link_not_followed) {
  char dir[4096], path[4200], victim[4200], planted[4300];
  test_tmpdir(dir, sizeof dir, "writer_planted");
  snprintf(path, sizeof path, "%s/r.json", dir);
  snprintf(victim, sizeof victim, "%s/victim.txt", dir);
  test_write_file(victim, "victim\n");
  const char *suffixes[] = {".tmp", ".tmp.XXXXXX", "~"};
  for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
    snprintf(planted, sizeof planted, "%s%s", path, suffixes[i]);
    ck_assert_int_eq(symlink(victim, planted), 0);
  }
  viral_error err = {0};
  ck_assert_int_eq(write_through(path, "report\n", &err), VIRAL_OK);
  check_text(victim, "victim\n");
  check_text(path, "report\n");
  struct stat st;
  ck_assert_int_eq(lstat(path, &st), 0);
  ck_assert(S_ISREG(st.st_mode));
  ck_assert_int_eq(count_files(dir), 5);
}
END_TEST

START_TEST(directory_refused) {
  char dir[4096];
  test_tmpdir(dir, sizeof dir, "writer_dir");
  viral_error err = {0};
  ck_assert_ptr_null(viral_atomic_open(dir, &err));
  char expected[4200];
  snprintf(expected, sizeof expected, "%s: is a directory", dir);
  ck_assert_str_eq(err.message, expected);
}
END_TEST

static int put_text(FILE *out, const void *ctx, viral_error *err) {
  (void)err;
  return fputs(ctx, out) < 0 ? VIRAL_ERR_IO : VIRAL_OK;
}

static int fail_to_write(FILE *out, const void *ctx, viral_error *err) {
  (void)out;
  (void)ctx;
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "nothing to write");
}

/* Several outputs: all of them, or none (whatever failed: opening one,
 * producing one, or writing one to disk). */
START_TEST(outputs_all_or_none) {
  char dir[4096], a[4200], b[4200], blocked[4200], dev[4200];
  test_tmpdir(dir, sizeof dir, "writer_outputs");
  snprintf(a, sizeof a, "%s/a.json", dir);
  snprintf(b, sizeof b, "%s/b.html", dir);
  snprintf(blocked, sizeof blocked, "%s/a.json/x.html", dir); /* parent is a file once a.json exists */
  test_write_file(b, "old b\n");
  viral_error err = {0};
  viral_output outs[3] = {{a, put_text, "new a\n"}, {NULL, fail_to_write, NULL}, {b, put_text, "new b\n"}};
  ck_assert_msg(viral_write_outputs(outs, 3, &err) == VIRAL_OK, "%s", err.message);
  check_text(a, "new a\n");
  check_text(b, "new b\n");
  ck_assert_int_eq(count_files(dir), 2);

  /* a destination that cannot be created: nothing written */
  outs[0].ctx = "newer a\n";
  outs[1] = (viral_output){blocked, put_text, "x\n"};
  outs[2].ctx = "newer b\n";
  ck_assert_int_eq(viral_write_outputs(outs, 3, &err), VIRAL_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err.message, "x.html: cannot create temporary file: Not a directory"));
  /* one that cannot be produced */
  outs[1] = (viral_output){a, fail_to_write, NULL};
  ck_assert_int_eq(viral_write_outputs(outs, 3, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "nothing to write");
  /* one whose bytes do not reach the disk */
  outs[1] = (viral_output){full_device(dev, sizeof dev, dir), put_text, "x\n"};
  ck_assert_int_eq(viral_write_outputs(outs, 3, &err), VIRAL_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err.message, "write error: No space left on device"));
  check_text(a, "new a\n");
  check_text(b, "new b\n");
  ck_assert_int_eq(count_files(dir), outs[1].path == dev ? 3 : 2);
}
END_TEST

/* A directory of files: nothing at its path until commit, then all of it;
 * abort and failures leave nothing; a path that is a file or a directory
 * with something in it is refused before anything is made. */
START_TEST(directory_all_or_none) {
  char dir[4096], out[4200], file[4300];
  test_tmpdir(dir, sizeof dir, "writer_atomic_dir");
  snprintf(out, sizeof out, "%s/folds/", dir); /* a trailing slash names the same directory */
  viral_error err = {0};
  viral_atomic_dir *d = viral_atomic_dir_open(out, &err);
  ck_assert_msg(d != NULL, "%s", err.message);
  ck_assert_int_eq(viral_atomic_dir_write(d, "a.txt", put_text, "a\n", &err), VIRAL_OK);
  ck_assert_int_eq(viral_atomic_dir_write(d, "b.txt", put_text, "b\n", &err), VIRAL_OK);
  ck_assert_int_eq(viral_atomic_dir_write(d, "../c.txt", put_text, "c\n", &err), VIRAL_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "folds/../c.txt: not a file name"));
  ck_assert_int_eq(viral_atomic_dir_write(d, "a.txt", put_text, "again\n", &err), VIRAL_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err.message, "folds/a.txt: cannot create: File exists"));
  ck_assert_int_eq(count_files(dir), 1); /* the temporary directory alone */
  ck_assert_int_eq(viral_atomic_dir_commit(d, &err), VIRAL_OK);
  ck_assert_int_eq(count_files(dir), 1);
  snprintf(file, sizeof file, "%sb.txt", out);
  check_text(file, "b\n");
  snprintf(file, sizeof file, "%s/folds", dir);
  ck_assert_int_eq(count_files(file), 2);

  /* not empty now, and a file: refused, nothing made */
  ck_assert_ptr_null(viral_atomic_dir_open(out, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "folds/: exists and is not empty"));
  snprintf(file, sizeof file, "%s/folds/a.txt", dir);
  ck_assert_ptr_null(viral_atomic_dir_open(file, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "a.txt: exists and is not a directory"));
  ck_assert_int_eq(count_files(dir), 1);

  /* a failed file, then abort: nothing left; an empty directory is filled */
  snprintf(out, sizeof out, "%s/empty", dir);
  ck_assert_int_eq(mkdir(out, 0750), 0);
  d = viral_atomic_dir_open(out, &err);
  ck_assert_ptr_nonnull(d);
  ck_assert_int_eq(viral_atomic_dir_write(d, "x.txt", fail_to_write, NULL, &err), VIRAL_ERR_INVALID);
  viral_atomic_dir_abort(d);
  viral_atomic_dir_abort(NULL);
  ck_assert_int_eq(count_files(dir), 2);
  ck_assert_int_eq(count_files(out), 0);
  d = viral_atomic_dir_open(out, &err);
  ck_assert_int_eq(viral_atomic_dir_write(d, "x.txt", put_text, "x\n", &err), VIRAL_OK);
  ck_assert_int_eq(viral_atomic_dir_commit(d, &err), VIRAL_OK);
  ck_assert_int_eq(count_files(out), 1);
  struct stat st;
  ck_assert_int_eq(stat(out, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0750); /* the empty directory's mode */
  ck_assert_int_eq(count_files(dir), 2);
}
END_TEST

static void check_cell(const char *cell, const char *expected) {
  char *buf = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&buf, &size);
  ck_assert_ptr_nonnull(out);
  viral_csv_write_cell(out, cell, strlen(cell));
  fclose(out);
  ck_assert_str_eq(buf, expected);
  free(buf);
}

START_TEST(csv_cells_quoted_only_when_needed) {
  check_cell("plain", "plain");
  check_cell("", "");
  check_cell("a,b", "\"a,b\"");
  check_cell("say \"hi\"", "\"say \"\"hi\"\"\"");
  check_cell("two\nlines", "\"two\nlines\"");
  check_cell("cr\rhere", "\"cr\rhere\"");
  check_cell(" padded", "\" padded\"");
  check_cell("fyp|dance", "fyp|dance");
}
END_TEST

static void round_trip(double x) {
  char buf[32];
  viral_format_double(buf, x);
  double back = strtod(buf, NULL);
  ck_assert_msg(memcmp(&back, &x, sizeof x) == 0, "%.17g printed as %s", x, buf);
}

START_TEST(doubles_round_trip) {
  char buf[32];
  ck_assert_str_eq(viral_format_double(buf, 0.1), "0.1"); /* shortest, not 0.10000000000000001 */
  ck_assert_str_eq(viral_format_double(buf, 3), "3");
  ck_assert_str_eq(viral_format_double(buf, -0.0), "-0");
  ck_assert_str_eq(viral_format_double(buf, 1e300), "1e+300");
  ck_assert_str_eq(viral_format_double(buf, INFINITY), "inf");
  ck_assert_str_eq(viral_format_double(buf, NAN), "nan");
  double xs[] = {0.1, 1.0 / 3, 2.0 / 3, 1e300, -1e-300, DBL_MIN, DBL_MAX, DBL_TRUE_MIN,
                 0.30000000000000004, 123456789.123456789, -0.0, 5e-324, 9007199254740993.0};
  for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) round_trip(xs[i]);
  ck_assert(signbit(strtod(viral_format_double(buf, -0.0), NULL)));
  /* many values between, from a fixed linear congruential sequence */
  unsigned long long state = 12345;
  for (int i = 0; i < 20000; i++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    double x;
    unsigned long long bits = state;
    memcpy(&x, &bits, sizeof x);
    if (isfinite(x)) round_trip(x);
  }
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("writer");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, commit_replaces_the_file);
  tcase_add_test(tc, abort_leaves_the_old_file);
  tcase_add_test(tc, open_in_missing_directory_fails);
  tcase_add_test(tc, symlink_target_replaced_link_kept);
  tcase_add_test(tc, fifo_written_directly);
  tcase_add_test(tc, device_written_directly_errors_reported);
  tcase_add_test(tc, dash_is_stdout);
  tcase_add_test(tc, mode_follows_umask_or_old_file);
  tcase_add_test(tc, planted_temporary_link_not_followed);
  tcase_add_test(tc, directory_refused);
  tcase_add_test(tc, outputs_all_or_none);
  tcase_add_test(tc, directory_all_or_none);
  tcase_add_test(tc, csv_cells_quoted_only_when_needed);
  tcase_add_test(tc, doubles_round_trip);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
