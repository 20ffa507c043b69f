"""Limits-of-learning claims (notebook 08), each with its registered decision rule.

Errors of the sine task are root-mean-square errors in the sine's own units
(amplitude 1); ``signal_rms`` is the error of always answering 0 on the same
points (≈ 0.71), the yardstick for "poor". Accuracies are fractions right;
the cellular-automaton cells are balanced coin flips, so chance is 0.5.
Every comparison of noisy numbers uses the standard error over seeds
(``se_…`` = standard deviation over seeds / √seeds).
"""

from .registry import Rule, register

register("LIM-1", "Neural networks of various sizes predict a sine function poorly beyond the range of "
         "their data; current AI does only shallow computation and cannot find shortcuts through "
         "computationally irreducible processes.",
         "ZB §4.5", "08",
         "(a) one-hidden-layer MLPs of 1-128 units fitted to sin(x) on [-2π, 2π]: error inside the range "
         "and one period beyond each end; (b) one learner predicting the centre cell of elementary cellular "
         "automata T steps ahead from the 2T+1 cells that decide it: rule 30 (no known shortcut) vs rule 90 "
         "(additive: a closed-form shortcut)",
         rule=Rule(
             quantities={
                 "in_rmse_best": "lowest inside-range RMSE over the widths (mean over seeds)",
                 "out_rmse_best": "lowest RMSE over the widths on the period beyond each end (mean over seeds)",
                 "signal_rms": "RMSE of always answering 0 on the outside points (the sine's RMS, ≈ 0.71)",
                 "acc30_far": "rule 30: test accuracy at the farthest horizon T, mean over seeds (chance 0.5)",
                 "se_acc30": "standard error over seeds of acc30_far",
                 "acc90_far": "rule 90: the same learner's test accuracy at the same T, mean over seeds",
             },
             branches=[
                 ("supported", ("in_rmse_best < 0.1 * signal_rms and out_rmse_best > 0.5 * signal_rms "
                               "and acc30_far + 2 * se_acc30 < 0.55 and acc90_far > 0.9")),
                 ("partly supported", ("(in_rmse_best < 0.1 * signal_rms and out_rmse_best > 0.5 * signal_rms) "
                                      "or (acc30_far + 2 * se_acc30 < 0.55 and acc90_far > 0.9)")),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"in_rmse_best": 0.004, "out_rmse_best": 0.9, "signal_rms": 0.707,
                               "acc30_far": 0.50, "se_acc30": 0.005, "acc90_far": 1.0},
                 "partly supported": {"in_rmse_best": 0.004, "out_rmse_best": 0.9, "signal_rms": 0.707,
                                      "acc30_far": 0.80, "se_acc30": 0.01, "acc90_far": 1.0},
                 "not supported": {"in_rmse_best": 0.004, "out_rmse_best": 0.05, "signal_rms": 0.707,
                                   "acc30_far": 0.85, "se_acc30": 0.01, "acc90_far": 1.0},
             },
             note="Sine: the nets must have learned the range (inside error under 10 % of the signal) for a "
                  "failure outside to mean 'beyond the data'; 'poorly' = outside error above half of what "
                  "answering 0 costs, for every size (it explains under 75 % of the variance). Automata: "
                  "'cannot shortcut' = no more than 5 points above chance, beyond twice the seed noise, while "
                  "the same learner, data and steps reach 90 % on the additive rule, so the failure is not "
                  "a weak learner. Both parts: supported; one: partly.",
         ))

register("LIM-2", "General methods that scale with compute (search and learning) beat hand-built human "
         "knowledge in the long run (the Bitter Lesson); AlexNet, with only a convolutional network and some "
         "invariances, beat hand-made features such as edges, shapes and SIFT by a wide margin.",
         "ZB §4", "08",
         "test accuracy on scikit-learn's 8x8 digits of hand-made features (HOG-like gradient histograms + "
         "fixed edge filters) with a tuned linear model vs a small CNN trained end to end, as the training set "
         "grows (20 to ~1,300 images) and as the CNN's compute grows (width x steps)",
         rule=Rule(
             quantities={
                 "gap_long": "CNN minus hand-made accuracy at the largest budget: all training images, the "
                             "widest CNN, all steps (mean over seeds)",
                 "se_long": "standard error over seeds of gap_long",
                 "gap_short": "CNN minus hand-made accuracy at the smallest training set, base CNN (mean over "
                              "seeds, each seed's pair on the same images)",
                 "se_short": "standard error over seeds of gap_short",
             },
             branches=[
                 ("supported", "gap_long > 2 * se_long and gap_long >= 0.005"),
                 ("partly supported", "gap_long - gap_short > 2 * sqrt(se_long ** 2 + se_short ** 2)"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"gap_long": 0.02, "se_long": 0.003, "gap_short": -0.05, "se_short": 0.02},
                 "partly supported": {"gap_long": -0.005, "se_long": 0.003, "gap_short": -0.08, "se_short": 0.02},
                 "not supported": {"gap_long": -0.03, "se_long": 0.003, "gap_short": -0.02, "se_short": 0.02},
             },
             note="'Beat in the long run' = ahead at our largest budget by more than twice the seed noise and by "
                  "at least half a point (≈ the binomial noise of a 500-image test set near 98 %). If the learned "
                  "model only gains ground as data and compute grow (the gap closes by more than twice its "
                  "noise) the direction holds but the win is not shown: partly. The linear model's C is "
                  "cross-validated on every training set while the CNN runs one fixed recipe, a tilt against "
                  "the claim.",
         ))

register("LIM-3", "Deep learning is a universal function approximator: its dimension can grow without bound, "
         "so with enough training data it can fit any function.",
         "ZB §3.4", "08",
         "inside-range error of one-hidden-layer MLPs fitted to sin(x) on [-2π, 2π] vs width (1-128 units, "
         "several seeds); the outside of the range is LIM-1's",
         rule=Rule(
             quantities={
                 "in_rmse_small": "inside-range RMSE of the narrowest net (mean over seeds)",
                 "in_rmse_large": "inside-range RMSE of the widest net (mean over seeds)",
                 "se_large": "standard error over seeds of in_rmse_large",
                 "signal_rms": "RMSE of always answering 0 inside the range (the sine's RMS, ≈ 0.71)",
             },
             branches=[
                 ("supported", ("in_rmse_large + 2 * se_large < 0.05 * signal_rms "
                               "and in_rmse_small > 3 * in_rmse_large")),
                 ("partly supported", ("in_rmse_large + 2 * se_large < 0.05 * signal_rms "
                                      "or in_rmse_small > 3 * in_rmse_large")),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"in_rmse_small": 0.6, "in_rmse_large": 0.004, "se_large": 0.001, "signal_rms": 0.707},
                 "partly supported": {"in_rmse_small": 0.6, "in_rmse_large": 0.1, "se_large": 0.02,
                                      "signal_rms": 0.707},
                 "not supported": {"in_rmse_small": 0.3, "in_rmse_large": 0.2, "se_large": 0.02, "signal_rms": 0.707},
             },
             note="An approximator that is 'universal' must get close when given enough units: the widest net "
                  "within 5 % of the signal's RMS (R² > 0.997) beyond twice the seed noise, and error that "
                  "shrinks with size (widest at least 3x better than narrowest). One of the two: partly. "
                  "Measured only inside the data range, which is all the theorem (Hornik 1989) promises.",
         ))
