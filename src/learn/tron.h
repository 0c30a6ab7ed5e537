/* tron.h - internal: L2-regularised logistic regression on linear_rows by
 * viral's own trust-region Newton method (TRON: Lin, Weng and Keerthi
 * 2008, the method of LIBLINEAR's primal solvers), every sum over the rows
 * of which passes a hook, so that the processes of a distributed job each
 * compute on their own rows and the hook sums the parts.
 *
 * It minimises, over w: [features + 1] (the bias item's weight last),
 *
 *   f(w) = ||w||^2 / 2 + C sum_r c_r log(1 + exp(-y_r w.x_r))
 *
 * y_r = +1 for class 1 and -1 for class 0, c_r = weight1 or weight0: the
 * objective of linear_train with LINEAR_LOGISTIC; rows given importances
 * (linear_rows_set_weights) have c_r times theirs. With free_last the bias
 * item's weight leaves the penalty (viral's objective, viral/logistic.h:
 * the intercept unpenalised).
 *
 * The method. At w, a conjugate gradient preconditioned by M = (1 - a) I +
 * a diag(H), a = 0.01 (Hsia, Chiang and Lin 2018, as LIBLINEAR 2.2+), works
 * toward the Newton step H s = -g inside the trust region ||s||_M <= delta
 * (Steihaug), until its residual's M^-1 norm is a tenth of the gradient's.
 * The step is taken when f falls by more than 1e-4 of the quadratic model's
 * prediction; delta grows or shrinks with how good the prediction was (the
 * paper's rules and constants). Stops when ||g|| <= eps ||g at w = 0||, or
 * when neither f nor its model can fall any more.
 *
 * The sums. Everything taken from the rows is a sum over them: at a point
 * the loss, the gradient and the Hessian's diagonal (one call on 2 width +
 * 1 doubles, width = features + 1), and each Hessian-vector product (one
 * call on width doubles per conjugate gradient step). The hook sum(ctx, v,
 * n, err) replaces v by its sum over the processes (viral_dist_sum_double)
 * and must give every process the same bits: then every process takes the
 * same steps and ends with the same w. The penalty is added after the sum,
 * once. */
#ifndef VIRAL_LEARN_TRON_H
#define VIRAL_LEARN_TRON_H

#include <stddef.h>

#include "learn/linear.h"
#include "viral/error.h"

/* Replace v[n] by its sum over the processes: VIRAL_OK or an error with
 * err set. */
typedef int (*tron_sum_fn)(void *ctx, double *v, size_t n, viral_error *err);

typedef struct tron_fit {
  double C;                /* > 0 */
  double weight0, weight1; /* the C of class 0 rows is C * weight0, of class 1 C * weight1 */
  double eps;              /* stop at ||g|| <= eps ||g(0)|| */
  int free_last;           /* 1: the last weight (the bias item's) is not penalised */
  int max_iterations;      /* Newton steps at most; 0: 1000 (LIBLINEAR's) */
  tron_sum_fn sum;         /* NULL: these rows are all the rows */
  void *sum_ctx;
} tron_fit;

/* What a fit did. */
typedef struct tron_info {
  int iterations;      /* Newton steps taken */
  int cg_steps;        /* Hessian-vector products */
  int sums;            /* calls to the hook (made by a NULL hook too) */
  double objective;    /* f at the w returned */
  double gnorm, gnorm0; /* ||g|| there and at w = 0 */
} tron_info;

/* Fit on rows[0 .. n) of r (after linear_rows_finish; every row when rows
 * is NULL, n then ignored), from init (may be NULL: 0), into w: [features +
 * 1] (the same shape as linear_train's). The rows may hold one class or
 * none (a process's share); the summed rows must make f bounded below (both
 * classes, or C small enough). info may be NULL. VIRAL_OK, or an error with
 * err set (the hook's, or a value that is not finite). Every process of a
 * job must call it together, with the same f and init. */
int tron_train(const linear_rows *r, const size_t *rows, size_t n, const tron_fit *f, const double *init, double *w,
               tron_info *info, viral_error *err);

/* The hook of a process of an MPI job (viral/dist.h): v summed over the
 * job's processes by viral_dist_sum_double, the same bits on each; ctx
 * unused. In a job of one (no mpirun, or no MPI) it does nothing. Every
 * process of the job must fit with it together (tron_train is collective
 * then); a process that fails before its first sum (out of memory) leaves
 * the others waiting, as any collective call does. */
int tron_sum_over_processes(void *ctx, double *v, size_t n, viral_error *err);

/* 1 / (1 + exp(-t)), and -log p(y | margin t) for y 0 or 1: without
 * overflow at any t. */
double tron_sigmoid(double t);
double tron_log_loss(double t, double y);

/* f(w) over the rows (summed by f's hook, collective like tron_train). */
int tron_objective(const linear_rows *r, const size_t *rows, size_t n, const tron_fit *f, const double *w,
                   double *value, viral_error *err);

#endif
