"""Compression claims (notebook 03), each with its registered decision rule.

Sizes are bits per character (bits per byte; 8 = no compression) or ratios
(raw size / compressed size). Models are byte-level GPTs trained on the train
side of ``nbkit.corpus``'s document split and tested on held-out documents;
"classical" is the best of gzip, bz2, xz and the raw deflate / raw LZMA2
streams (no file headers) on the same bytes.
"""

from .registry import Rule, register

_SE = "standard error of"

register("COMP-1", "A model that compresses data well has learned something about it; a pre-trained "
         "Transformer compresses information highly; an LLM is a lossy, blurry compression of its text.",
         "ZB §1.3; LQ", "03", "bits per character of models vs classical compressors on held-out text, short "
         "and long; training vs unseen text of a model trained for many epochs on a small text",
         rule=Rule(
             quantities={
                 "size_gain": "bits/char the biggest model saves over the smallest on the longest held-out "
                              "text (same recipe), mean over seeds",
                 "se_size_gain": f"{_SE} size_gain over seeds",
                 "short_gain": "best classical minus biggest model, bits/char, on >= 20 held-out 1 KiB "
                               "snippets (mean over snippets and seeds)",
                 "se_short_gain": f"{_SE} short_gain (snippets and seeds)",
                 "long_gain": "best classical minus biggest model, bits/char, on the longest held-out text",
                 "se_long_gain": f"{_SE} long_gain over seeds",
                 "memorisation_gap": "bits/char on unseen text minus on its own training text, for a model "
                                     "trained for many epochs on a small text (how sharp a copy it keeps)",
             },
             branches=[
                 ("supported", ("size_gain > 2 * se_size_gain and short_gain > 2 * se_short_gain "
                               "and long_gain > 2 * se_long_gain and memorisation_gap < 0.5")),
                 ("partly supported", ("size_gain > 2 * se_size_gain "
                                      "and (short_gain > 2 * se_short_gain or long_gain > 2 * se_long_gain)")),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"size_gain": 0.5, "se_size_gain": 0.02, "short_gain": 0.8, "se_short_gain": 0.05,
                               "long_gain": 0.2, "se_long_gain": 0.02, "memorisation_gap": 0.1},
                 "partly supported": {"size_gain": 0.5, "se_size_gain": 0.02, "short_gain": 0.8,
                                      "se_short_gain": 0.05, "long_gain": -0.1, "se_long_gain": 0.02,
                                      "memorisation_gap": 2.0},
                 "not supported": {"size_gain": 0.5, "se_size_gain": 0.02, "short_gain": -0.2,
                                   "se_short_gain": 0.05, "long_gain": -0.3, "se_long_gain": 0.02,
                                   "memorisation_gap": 0.1},
             },
             note="Knowledge shows as compression of text the model never saw, beyond what a compressor can find "
                  "inside the text itself: the biggest model must beat the best classical compressor by more "
                  "than 2 standard errors, on short texts (where in-file repetition is scarce) and on the "
                  "longest one ('highly'); better predictors (bigger models) must compress better. 'Lossy, "
                  "blurry' = even a model drilled on a small text for many epochs codes it < 0.5 bits/char "
                  "cheaper than unseen text; a larger gap means it keeps a sharp copy.",
         ))

register("COMP-2", "The compression ratio on a large data set measures model quality; the source puts "
         "GPT-4 at 30+ in some domains vs a little over 10 for open models.",
         "YZ", "03", "compression ratios of classical compressors and of our models (3 sizes) on five kinds of "
                     "real data that ship with Python and the kit's packages (prose, Python source, CSV, JSON, "
                     "markup): does the ratio rank the models the same way in every domain, and where are "
                     "ratios of 10 and 30 reached?",
         rule=Rule(
             quantities={
                 "rank_agreement": "Spearman ρ between the ranking of our 3 model sizes by ratio on held-out prose "
                                   "and their ranking on each other domain, averaged over those domains (−1…1; "
                                   "ratios averaged over seeds)",
                 "domains_at_10": "domains where the best compressor (classical or model) reaches a ratio >= 10",
                 "domains_at_30": "domains where the best compressor reaches a ratio >= 30",
                 "domain_factor": "highest over lowest ratio of one compressor (xz) across the domains: how much "
                                  "the data alone moves the ratio",
                 "model_factor": "ratio of our biggest over our smallest model on held-out prose: how much the "
                                 "model moves it",
             },
             branches=[
                 ("supported", "rank_agreement >= 0.8 and domains_at_30 >= 1"),
                 ("partly supported", "rank_agreement >= 0.8"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"rank_agreement": 1.0, "domains_at_10": 2, "domains_at_30": 1, "domain_factor": 12,
                               "model_factor": 1.2},
                 "partly supported": {"rank_agreement": 0.875, "domains_at_10": 0, "domains_at_30": 0,
                                      "domain_factor": 3, "model_factor": 1.2},
                 "not supported": {"rank_agreement": 0.25, "domains_at_10": 0, "domains_at_30": 0,
                                   "domain_factor": 3, "model_factor": 1.2},
             },
             note="If the ratio measures a model's quality, a better model must compress every kind of data "
                  "better, not only the kind it was tuned on: the ranking of our three sizes must agree across "
                  "domains (ρ >= 0.8: at most one swap of neighbours in one of four domains). '30+ in some "
                  "domains' is then checked where we can: does any real domain reach 30 with what we have? "
                  "Our compressors only give a lower bound on what is reachable, so missing 30 is 'partly', "
                  "not a refutation; the domain and model factors show how much of a ratio is the data's.",
         ))

register("COMP-3", "Knowing the rule behind data compresses it drastically: an arithmetic sequence of "
         "10,000 numbers needs only two numbers.",
         "YZ", "03", "size of a rule-aware code vs general-purpose compressors, without and with noise",
         rule=Rule(
             quantities={
                 "rule_code_bytes": "bytes of the rule-aware code of the exact sequence",
                 "best_general_bytes": "bytes of the best general-purpose compressor on the same sequence as text",
                 "noisy_rule_code_bytes": "rule-aware code of the sequence with noise added",
                 "noisy_best_general_bytes": "best general-purpose compressor on the noisy sequence",
                 "noise_entropy_bytes": "entropy of the noise: the floor for any lossless code of the noisy data",
             },
             branches=[
                 ("supported", ("best_general_bytes >= 100 * rule_code_bytes "
                               "and noisy_rule_code_bytes < noisy_best_general_bytes")),
                 ("partly supported", "best_general_bytes >= 10 * rule_code_bytes"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"rule_code_bytes": 9, "best_general_bytes": 5000, "noisy_rule_code_bytes": 2900,
                               "noisy_best_general_bytes": 9000, "noise_entropy_bytes": 2890},
                 "partly supported": {"rule_code_bytes": 9, "best_general_bytes": 500,
                                      "noisy_rule_code_bytes": 9500, "noisy_best_general_bytes": 9000,
                                      "noise_entropy_bytes": 2890},
                 "not supported": {"rule_code_bytes": 90, "best_general_bytes": 500, "noisy_rule_code_bytes": 9500,
                                   "noisy_best_general_bytes": 9000, "noise_entropy_bytes": 2890},
             },
             note="'Drastically' = at least 100x smaller than the best general-purpose compressor on the exact "
                  "sequence, and the rule must still pay off once the data carries noise; 10x is 'partly'.",
         ))
