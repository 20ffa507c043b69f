"""Representation-convergence claims (notebook 06), each with its registered decision rule.

Every alignment number below is a **calibrated mutual-kNN** score (k = 10, on
held-out items): ``(score - permutation-null mean) / (1 - null mean)``, so 0 is
a random pairing of the items and 1 identical neighbourhoods. The rules count
only the part of an effect that exceeds its controls: untrained networks of the
same width (random features keep the input's geometry and already "agree"),
and the spread over seed pairs (an effect must exceed twice its standard error).
"""

from .registry import Rule, register

_CALIBRATED = "calibrated mutual-kNN (k = 10; 0 = shuffled pairing, 1 = identical neighbourhoods)"

register("CONV-1", "Models trained on different data, objectives and modalities converge toward one "
         "shared representation; strong models resemble each other, weak ones differ each in their own way.",
         "ZB §4.3", "06", "alignment between models, against permutation nulls and untrained baselines",
         rule=Rule(
             quantities={
                 "excess_wide": f"widest digit MLPs: trained seed pairs minus untrained seed pairs, {_CALIBRATED}",
                 "se_excess_wide": "standard error of excess_wide over seed pairs",
                 "rho_competence": "Spearman ρ of held-out accuracy vs trained-pair alignment, fixed width, "
                                   "each model on its own random training subset of growing size (−1…1)",
                 "excess_cross_modal": "image vs text encoders trained separately on one toy world: trained minus "
                                       f"untrained, {_CALIBRATED}",
                 "se_cross_modal": "standard error of excess_cross_modal over seeds",
             },
             branches=[
                 ("supported", ("excess_wide > max(0.1, 2 * se_excess_wide) and rho_competence > 0.7 "
                               "and excess_cross_modal > max(0.05, 2 * se_cross_modal)")),
                 ("partly supported", ("excess_wide > max(0.05, 2 * se_excess_wide) "
                                      "or excess_cross_modal > max(0.05, 2 * se_cross_modal)")),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"excess_wide": 0.3, "se_excess_wide": 0.02, "rho_competence": 0.9,
                               "excess_cross_modal": 0.2, "se_cross_modal": 0.03},
                 "partly supported": {"excess_wide": 0.3, "se_excess_wide": 0.02, "rho_competence": 0.2,
                                      "excess_cross_modal": 0.0, "se_cross_modal": 0.03},
                 "not supported": {"excess_wide": 0.02, "se_excess_wide": 0.02, "rho_competence": 0.9,
                                   "excess_cross_modal": 0.01, "se_cross_modal": 0.03},
             },
             note="0.1 = a tenth of the way from chance to identical neighbourhoods, beyond what random networks "
                  "of the same width already share; ρ > 0.7 = a strong monotone relation over ≥ 5 competence "
                  "levels; 0.05 across modalities because the paper's own language-vision scores are small "
                  "(≈ 0.16 raw). 'Different objectives' is reported beside (section 3), not scored.",
         ))
register("CONV-2", "Task generality, capacity and a simplicity bias drive convergence; bigger models "
         "get closer to the shared optimum.",
         "ZB §4.3", "06", "alignment vs width, number of tasks and regularisation", rule=Rule(
             quantities={
                 "capacity_excess": "rise of trained-pair alignment from the narrowest to the widest MLP minus the "
                                    f"same rise for untrained pairs, {_CALIBRATED}",
                 "se_capacity": "standard error of capacity_excess over seed pairs",
                 "tasks_effect": "alignment of pairs trained on all tasks minus pairs trained on one (the same) "
                                 "task, same width and steps",
                 "se_tasks": "standard error of tasks_effect",
                 "simplicity_effect": "alignment of pairs trained with weight decay minus without, same width "
                                      "and steps",
                 "se_simplicity": "standard error of simplicity_effect",
             },
             branches=[
                 ("supported", ("capacity_excess > max(0.05, 2 * se_capacity) and tasks_effect > max(0.05, "
                               "2 * se_tasks) and simplicity_effect > max(0.05, 2 * se_simplicity)")),
                 ("partly supported", ("capacity_excess > max(0.05, 2 * se_capacity) or tasks_effect > max(0.05, "
                                      "2 * se_tasks) or simplicity_effect > max(0.05, 2 * se_simplicity)")),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"capacity_excess": 0.2, "se_capacity": 0.02, "tasks_effect": 0.1, "se_tasks": 0.02,
                               "simplicity_effect": 0.08, "se_simplicity": 0.02},
                 "partly supported": {"capacity_excess": 0.2, "se_capacity": 0.02, "tasks_effect": 0.01,
                                      "se_tasks": 0.02, "simplicity_effect": -0.03, "se_simplicity": 0.02},
                 "not supported": {"capacity_excess": 0.03, "se_capacity": 0.02, "tasks_effect": 0.01,
                                   "se_tasks": 0.02, "simplicity_effect": 0.0, "se_simplicity": 0.02},
             },
             note="The claim names three causes: all three must move alignment up by more than 0.05 (calibrated) "
                  "and twice their spread for 'supported'; one is enough for 'partly'. Capacity counts only "
                  "the rise beyond what untrained networks gain from width alone.",
         ))
register("CONV-3", "Stitching one model's lower layers to another's upper layers works when their "
         "representations are compatible.",
         "ZB §4.3", "06", "accuracy lost by affine stitching", rule=Rule(
             quantities={
                 "penalty_seed": "accuracy points the receiving (top) model loses when its lower layers are "
                                 "replaced by another seed's, same width, through a trained affine layer, relative "
                                 "to the top stitched onto its own bottom the same way (mean over pairs and both "
                                 "stitch points)",
                 "se_penalty_seed": "standard error of penalty_seed over pairs",
                 "penalty_random": "points lost when the lower layers come from an untrained network "
                                   "(incompatible by construction)",
                 "penalty_width": "points lost when the lower layers come from a narrower or a wider model "
                                  "(mean of both)",
             },
             branches=[
                 ("supported", ("penalty_seed < 2 and penalty_width < 2 "
                               "and penalty_random > penalty_seed + max(3, 2 * se_penalty_seed)")),
                 ("partly supported", "penalty_seed < 2"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"penalty_seed": 0.5, "se_penalty_seed": 0.2, "penalty_random": 8.0,
                               "penalty_width": 1.0},
                 "partly supported": {"penalty_seed": 0.5, "se_penalty_seed": 0.2, "penalty_random": 1.0,
                                      "penalty_width": 1.0},
                 "not supported": {"penalty_seed": 6.0, "se_penalty_seed": 0.5, "penalty_random": 9.0,
                                   "penalty_width": 7.0},
             },
             note="'Works' = within 2 accuracy points of the receiving model, the size of the penalties Bansal et "
                  "al. (2021) report for same-architecture stitches; 'when compatible' needs an incompatible "
                  "bottom to cost clearly more (≥ 3 points and twice the spread).",
         ))
register("CONV-4", "Paired cross-modal data increases convergence; to train the best text model, add "
         "images too.",
         "ZB §4.3, §4.2", "06", "image-text alignment with and without paired training", rule=Rule(
             quantities={
                 "paired_gain": "image vs text alignment on world states held out from all training: "
                                f"contrastively paired encoders minus separately trained ones, {_CALIBRATED}",
                 "se_paired_gain": "standard error of paired_gain over seeds",
                 "text_gain": "held-out factor-probe accuracy of the text encoder trained with image pairs minus "
                              "trained on text alone, same text steps (fraction, 0…1)",
                 "se_text_gain": "standard error of text_gain over seeds",
             },
             branches=[
                 ("supported", ("paired_gain > max(0.05, 2 * se_paired_gain) "
                               "and text_gain > max(0.01, 2 * se_text_gain)")),
                 ("partly supported", "paired_gain > max(0.05, 2 * se_paired_gain)"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"paired_gain": 0.3, "se_paired_gain": 0.03, "text_gain": 0.05, "se_text_gain": 0.01},
                 "partly supported": {"paired_gain": 0.3, "se_paired_gain": 0.03, "text_gain": 0.0,
                                      "se_text_gain": 0.01},
                 "not supported": {"paired_gain": 0.02, "se_paired_gain": 0.03, "text_gain": 0.0,
                                   "se_text_gain": 0.01},
             },
             note="Pairing is what a contrastive objective optimises, so the first half is measured on states no "
                  "encoder saw; the second half — a better text model — is the substantive one: one probe point "
                  "(0.01) beyond twice its spread. A toy world speaks to the mechanism, not to web-scale models.",
         ))
