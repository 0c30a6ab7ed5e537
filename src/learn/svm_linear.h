/* svm_linear.h - internal: the SVM learner's linear kernel fitted by
 * LIBLINEAR (learn/linear.h) and handed back as a libsvm-shaped model
 * (viral/svm.h), so that prediction, explanations, weights, carry-over
 * updates and the model text are those of a libsvm model. */
#ifndef VIRAL_SVM_LINEAR_H
#define VIRAL_SVM_LINEAR_H

#include "viral/svm.h"

/* C-SVC with the linear kernel on ds (labels 0/1, both classes; checked by
 * viral_svm_train, which calls it when params->liblinear is 1), by
 * LIBLINEAR's primal Newton method for the L2-loss SVM (-s 2: C_i times
 * the squared slack; libsvm's C-SVC takes the slack itself). The intercept
 * is the weight of a constant item SVM_LINEAR_BIAS, so LIBLINEAR 2.3
 * penalises it by (b / SVM_LINEAR_BIAS)^2 / 2 where libsvm does not. The
 * support vectors are the rows inside the margin, with the dual variables
 * of the optimum, 2 C_i xi_i; Platt's probabilities are fitted as libsvm's
 * -b 1 does, on decision values of 5-fold cross-validation (seeded by
 * params->seed). NULL with err set on failure. */
viral_svm_model *svm_linear_train(const viral_svm_params *params, const viral_dataset *ds, viral_error *err);

#define SVM_LINEAR_BIAS 10.0

/* A model of the linear kernel from its parts (svm.c): support vectors
 * svs (rows in order: the n_class1 of class 1 first), their coefficients
 * coef (y alpha, class 1 positive), rho (decision = sum coef <sv, x> -
 * rho) and, when probability, Platt's prob_a and prob_b. NULL with err set
 * when out of memory or a vector is out of libsvm's range. */
viral_svm_model *svm_model_linear(const viral_dataset *svs, const double *coef, size_t n_class1, double rho,
                                  int probability, double prob_a, double prob_b, viral_error *err);

#endif
