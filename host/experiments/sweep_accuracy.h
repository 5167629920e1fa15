/* A sweep point's accuracy: from the correct count of each of its problems (task prompts,
 * or the one toy world), out of n samples each, the record's columns
 *
 *   samples_per_problem, correct_total, pass_at_1, pass_at_1_lo, pass_at_1_hi (95 %,
 *   passk_interval.h), k (the k values), pass_at_k, pass_at_k_lo, pass_at_k_hi (one each)
 *
 * with the unbiased estimator (passk_estimator.h). k values above n are null. Without a
 * checker (an OPT prompt without tasks, a toy world without `correct`) they are all null. */
#ifndef PSAMP_SWEEP_ACCURACY_H
#define PSAMP_SWEEP_ACCURACY_H

#include <cjson/cJSON.h>
#include <stdint.h>

/* correct: per problem, NULL when not judged. ks: the config's k values, NULL for the
 * default 1, 2, 4, ... below n, and n. deterministic: a greedy point (its n samples are one).
 * 0, or -1 when out of memory. */
int sweep_accuracy_add(cJSON *row, int64_t n, const int64_t *correct, int32_t n_problems, int deterministic,
                       const int32_t *ks, int32_t n_ks);

#endif
