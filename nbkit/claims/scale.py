"""Scaling-law claims (notebook 02), each with its registered decision rule.

Every loss is a validation loss in nats per byte on text the models never
trained on (``nbkit.corpus`` document split) or on fresh samples of the Markov
source. Where a rule compares two noisy numbers, the notebook trains >= 3
seeds at ``default`` (2 at ``smoke``, which says so) and the rule asks for a gap
of more than twice its standard error over seeds.
"""

from .registry import Rule, register

_SE = "standard error over seeds of"

register("SCALE-1", "Test loss falls predictably, as a power law, when models grow; the law is universal, "
         "independent of any particular model or data set; enough compute and good data make a strong "
         "enough model.",
         "ZB §1.1, §1.3", "02", "loss vs parameters over a sweep on two data sets (English text and a source "
         "of known entropy); the two largest sizes held out and predicted, against a naive forecast",
         rule=Rule(
             quantities={
                 "law_error_text": "English text: mean absolute error (nats/byte) of the power law with an "
                                   "offset, fitted without the 2 largest sizes, on those 2 sizes; mean over seeds",
                 "naive_error_text": "English text: the same error for the naive forecast 'no further gain' "
                                     "(the largest fitted size's loss); mean over seeds",
                 "se_gain_text": f"{_SE} naive_error_text - law_error_text",
                 "law_error_markov": "Markov source of known entropy: the law's hold-out error, as for text",
                 "naive_error_markov": "Markov source: the naive forecast's hold-out error",
                 "se_gain_markov": f"{_SE} naive_error_markov - law_error_markov",
                 "alpha_text": "English text: exponent of a pure power law L = A·N^-alpha over all sizes, "
                               "mean over seeds",
                 "alpha_markov": "Markov source: the same exponent",
                 "se_alpha_gap": f"{_SE} alpha_text - alpha_markov",
             },
             branches=[
                 ("supported", ("naive_error_text - law_error_text > 2 * se_gain_text "
                               "and law_error_text < 0.5 * naive_error_text "
                               "and naive_error_markov - law_error_markov > 2 * se_gain_markov "
                               "and law_error_markov < 0.5 * naive_error_markov "
                               "and abs(alpha_text - alpha_markov) + 2 * se_alpha_gap "
                               "< 0.25 * max(alpha_text, alpha_markov)")),
                 ("partly supported", ("naive_error_text - law_error_text > 2 * se_gain_text "
                                      "and law_error_text < 0.5 * naive_error_text")),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"law_error_text": 0.01, "naive_error_text": 0.08, "se_gain_text": 0.01,
                               "law_error_markov": 0.01, "naive_error_markov": 0.05, "se_gain_markov": 0.01,
                               "alpha_text": 0.1, "alpha_markov": 0.095, "se_alpha_gap": 0.005},
                 "partly supported": {"law_error_text": 0.01, "naive_error_text": 0.08, "se_gain_text": 0.01,
                                      "law_error_markov": 0.01, "naive_error_markov": 0.05,
                                      "se_gain_markov": 0.01, "alpha_text": 0.1, "alpha_markov": 0.04,
                                      "se_alpha_gap": 0.005},
                 "not supported": {"law_error_text": 0.05, "naive_error_text": 0.06, "se_gain_text": 0.01,
                                   "law_error_markov": 0.01, "naive_error_markov": 0.05, "se_gain_markov": 0.01,
                                   "alpha_text": 0.1, "alpha_markov": 0.1, "se_alpha_gap": 0.005},
             },
             note="'Predictably' = the law fitted on the smaller models forecasts the 2 largest at most half as "
                  "wrong as the know-nothing forecast 'no further gain', and better by more than 2 standard "
                  "errors. 'Universal, independent of model and data' = it does so on both data sets AND the "
                  "exponent is the same on both: the gap, plus 2 standard errors, within 25 % of the larger "
                  "exponent. A law that predicts on text only, or whose exponent changes with the data, "
                  "is 'partly'. 'Strong enough for anything' is not something a loss curve can test.",
         ))

register("SCALE-2", "For Transformers of a fixed parameter count, the split between width and depth "
         "hardly matters; the count does.",
         "AGI-BM §1", "02", "loss of several shapes at about equal parameter count, against what a 4x change "
         "of size buys", rule=Rule(
             quantities={
                 "shape_spread": "max - min over shapes of the seed-mean distance of each shape's loss from the "
                                 "size law (nats/byte; corrects for small differences in N)",
                 "se_shape_spread": "standard error of shape_spread (the two extreme shapes' seed means)",
                 "size_effect_4x": "loss change (nats/byte) the size law predicts for a 4x change of N around "
                                   "the shapes' size",
             },
             branches=[
                 ("supported", "shape_spread + 2 * se_shape_spread < 0.5 * size_effect_4x"),
                 ("not supported", "shape_spread - 2 * se_shape_spread > size_effect_4x"),
                 ("partly supported", "True"),
             ],
             examples={
                 "supported": {"shape_spread": 0.02, "se_shape_spread": 0.005, "size_effect_4x": 0.15},
                 "not supported": {"shape_spread": 0.3, "se_shape_spread": 0.02, "size_effect_4x": 0.15},
                 "partly supported": {"shape_spread": 0.1, "se_shape_spread": 0.01, "size_effect_4x": 0.15},
             },
             note="Kaplan et al. (2020, Fig. 5) found a few percent of loss across shapes against about 10 % for a "
                  "4x size change, so 'hardly matters' = the shapes spread by less than half of what a 4x size "
                  "change buys, even at the upper end of the spread's noise; 'not supported' = more than a whole "
                  "4x size change beyond noise (the shape then matters like the count).",
         ))

register("SCALE-3", "GPT-2 to GPT-4 took about 3.5-4 more orders of magnitude of training compute; "
         "by 2027-28 another 3-6 orders (compute, algorithms, unhobbling) are expected.",
         "ZB §4.4", "02", "the arithmetic of the cited orders of magnitude (context only)", rule=Rule(
             quantities={
                 "past_compute_oom_low": "log10 of 3,000 (the low end of GPT-2 -> GPT-4 compute, Epoch AI)",
                 "past_compute_oom_high": "log10 of 10,000",
                 "forecast_sum_low": "sum of the low ends of the three listed 2027-28 gains (OOM)",
                 "forecast_sum_high": "sum of the high ends (OOM)",
                 "forecast_without_unhobbling_low": "compute + algorithms only, low end (OOM)",
                 "forecast_without_unhobbling_high": "compute + algorithms only, high end (OOM)",
             },
             branches=[("context only", "True")],
             examples={"context only": {"past_compute_oom_low": 3.48, "past_compute_oom_high": 4.0,
                                        "forecast_sum_low": 4, "forecast_sum_high": 7,
                                        "forecast_without_unhobbling_low": 3,
                                        "forecast_without_unhobbling_high": 5}},
             note="A forecast: we check that its numbers add up and show them; nothing here can be measured.",
         ))

register("SCALE-4", "Intelligence is energy turned into capability by an algorithm: with the algorithm "
         "fixed, how much capability you get depends entirely on how much compute you put in.",
         "YZ", "02", "the compute frontier of our sweep (compute counted from every matrix multiply, output "
         "head included), and whether models at equal compute differ, which 'entirely' denies", rule=Rule(
             quantities={
                 "alpha_compute": "exponent of a pure power law fitted to the compute-efficient frontier "
                                  "(best validation loss vs training FLOPs), mean over seeds",
                 "se_alpha_compute": f"{_SE} alpha_compute",
                 "frontier_decades": "decades of training compute the frontier spans (mean over seeds)",
                 "equal_compute_spread": "at equal training compute, the range of validation loss across model "
                                         "sizes (nats/byte): median over compute budgets reached by >= 3 sizes, "
                                         "mean over seeds",
                 "seed_sd": "seed-to-seed standard deviation of one run's validation loss at the same step "
                            "(nats/byte, pooled over sizes and steps)",
             },
             branches=[
                 ("supported", ("alpha_compute > 2 * se_alpha_compute and alpha_compute > 0.01 "
                               "and equal_compute_spread < 2 * seed_sd")),
                 ("partly supported", "alpha_compute > 2 * se_alpha_compute and alpha_compute > 0.01"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"alpha_compute": 0.05, "se_alpha_compute": 0.004, "frontier_decades": 2,
                               "equal_compute_spread": 0.01, "seed_sd": 0.01},
                 "partly supported": {"alpha_compute": 0.05, "se_alpha_compute": 0.004, "frontier_decades": 2,
                                      "equal_compute_spread": 0.3, "seed_sd": 0.01},
                 "not supported": {"alpha_compute": 0.004, "se_alpha_compute": 0.004, "frontier_decades": 2,
                                   "equal_compute_spread": 0.3, "seed_sd": 0.01},
             },
             note="More compute must buy a lower best loss: a frontier exponent above 0.01 (each 10x of compute "
                  "cuts the loss by > 2 %) and above twice its standard error. 'Entirely' is the strong part: "
                  "if the amount of compute alone set the outcome, models of different sizes at the same "
                  "compute would differ only by seed noise (spread < 2 seed standard deviations).",
         ))

register("SCALE-5", "The harder the output choice (more classes, bigger vocabulary), the more data is "
         "needed, claimed to grow exponentially with the number of classes.",
         "AGI-BM §1-2", "02", "samples needed to reach a fixed quality vs number of classes K, found by a "
         "doubling search that assumes no growth law; power law vs exponential fits", rule=Rule(
             quantities={
                 "slope_dist": "log-log slope of samples needed vs K, learning a K-way distribution",
                 "slope_dist_low": "lower end of its 95 % bootstrap interval (fit scatter over the K values)",
                 "exp_minus_power_r2_dist": "R² of log n linear in K (exponential) minus R² of log n linear "
                                            "in log K (power law), K-way distribution",
                 "slope_soft": "log-log slope of samples needed vs K, softmax regression",
                 "slope_soft_low": "lower end of its 95 % bootstrap interval",
                 "exp_minus_power_r2_soft": "R² (exponential) minus R² (power law), softmax regression",
             },
             branches=[
                 ("supported", "exp_minus_power_r2_dist > 0 and exp_minus_power_r2_soft > 0"),
                 ("partly supported", "slope_dist_low > 1.3 and slope_soft_low > 1.3"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"slope_dist": 3.0, "slope_dist_low": 2.5, "exp_minus_power_r2_dist": 0.05,
                               "slope_soft": 3.0, "slope_soft_low": 2.5, "exp_minus_power_r2_soft": 0.1},
                 "partly supported": {"slope_dist": 1.8, "slope_dist_low": 1.6, "exp_minus_power_r2_dist": -0.2,
                                      "slope_soft": 1.7, "slope_soft_low": 1.5, "exp_minus_power_r2_soft": -0.1},
                 "not supported": {"slope_dist": 1.0, "slope_dist_low": 0.95, "exp_minus_power_r2_dist": -0.3,
                                   "slope_soft": 1.1, "slope_soft_low": 1.0, "exp_minus_power_r2_soft": -0.2},
             },
             note="Exponential growth in K is a straight line of log n against K; a power law is a straight line "
                  "against log K. 'Supported' = the exponential describes both experiments better. 'Partly' = "
                  "the need per class clearly grows (slope above 1.3 at the low end of its interval: "
                  "superlinear) but as a power, not exponentially. A slope near 1 (data in proportion to the "
                  "classes) contradicts the claim's 'exponentially'.",
         ))
