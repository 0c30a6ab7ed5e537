/* welford.h - internal: combining two parts' running statistics (a
 * count, a mean and the sum of squared deviations from it, as Welford's
 * update keeps them) into those of their union, by Chan, Golub and
 * LeVeque's pairwise rule: the processes of an MPI job merging what each
 * counted on its share (learn/logistic_batch.c, features/profile_merge.c). */
#ifndef VIRAL_IO_WELFORD_H
#define VIRAL_IO_WELFORD_H

/* (n, mean, m2) becomes the union of itself and (nb, meanb, m2b). A part
 * of no rows changes nothing; onto no rows, the part is taken as it is. */
static inline void welford_merge(double *n, double *mean, double *m2, double nb, double meanb, double m2b) {
  if (nb == 0) return;
  if (*n == 0) {
    *n = nb, *mean = meanb, *m2 = m2b;
    return;
  }
  double N = *n + nb, delta = meanb - *mean;
  *m2 += m2b + delta * delta * *n * nb / N;
  *mean += delta * nb / N;
  *n = N;
}

#endif
