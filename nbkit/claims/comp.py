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
         "YZ", "03", "compression ratios of classical compressors and our models on several real domains that "
                     "ship with Python and the kit's packages (prose, Python source, CSV, JSON, markup)",
         rule=Rule(
             quantities={
                 "n_domains": "number of real domains measured",
                 "domains_at_10": "domains where the best compressor (classical or model) reaches a ratio >= 10",
                 "domains_at_30": "domains where it reaches a ratio >= 30",
                 "best_ratio_prose": "best ratio on held-out English prose",
                 "model_ratio_prose": "our best model's ratio on held-out English prose",
             },
             branches=[
                 ("supported", "domains_at_30 >= 1"),
                 ("partly supported", "domains_at_10 >= 1"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"n_domains": 5, "domains_at_10": 2, "domains_at_30": 1, "best_ratio_prose": 3.5,
                               "model_ratio_prose": 3.4},
                 "partly supported": {"n_domains": 5, "domains_at_10": 1, "domains_at_30": 0,
                                      "best_ratio_prose": 3.5, "model_ratio_prose": 3.4},
                 "not supported": {"n_domains": 5, "domains_at_10": 0, "domains_at_30": 0,
                                   "best_ratio_prose": 3.5, "model_ratio_prose": 3.4},
             },
             note="The claim's own qualifier is 'in some domains': we cannot run GPT-4, but we can measure whether "
                  "ratios of 30 (and 10) occur at all on real data, and where. If some real domain reaches 30 "
                  "the number is plausible there; if only 10 is reached anywhere, 30 is out of reach of what "
                  "we measured; if neither, both numbers are. How far the ratio is a property of the domain "
                  "rather than of the model is read off the same table.",
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
