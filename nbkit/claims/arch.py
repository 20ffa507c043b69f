"""Architecture claims (notebook 01), each with its registered decision rule.

Accuracies are fractions right on fixed evaluation sets (recall: 8 values,
chance 0.125; order: 2 marks, chance 0.5; topics: 4 classes, chance 0.25).
Every difference between two noisy numbers must exceed twice its standard
error over seeds (``se_…``, the standard deviation over seeds / √seeds), as well
as a minimum size that is large against the sampling noise of the evaluation
sets (±0.02 at 1,000 examples).
"""

from .registry import Rule, register

register("ARCH-1", "A plain recurrent network trains slowly and loses what it saw early in a sequence.",
         "ZB §1.2", "01", "recall accuracy vs distance on a fixed evaluation set (near vs far gaps) for an "
         "Elman RNN, and its loss against a Transformer's after the same number of steps",
         rule=Rule(
             quantities={
                 "rnn_near": "RNN recall accuracy at the shortest gaps (1-2 tokens), mean over seeds",
                 "rnn_far": "RNN recall accuracy at the two longest gaps tested, mean over seeds",
                 "se_rnn_drop": "standard error over seeds of rnn_near - rnn_far",
                 "rnn_minus_gpt_bits": "RNN validation loss minus the GPT's after the same steps on the same "
                                       "batches (bits per answer), mean over seeds",
                 "se_loss_gap": "standard error over seeds of rnn_minus_gpt_bits",
             },
             branches=[
                 ("supported", ("rnn_near >= 0.5 and rnn_near - rnn_far > max(0.15, 2 * se_rnn_drop) "
                               "and rnn_minus_gpt_bits > max(0.1, 2 * se_loss_gap)")),
                 ("partly supported", ("rnn_near - rnn_far > max(0.15, 2 * se_rnn_drop) "
                                      "or rnn_minus_gpt_bits > max(0.1, 2 * se_loss_gap)")),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"rnn_near": 0.9, "rnn_far": 0.2, "se_rnn_drop": 0.03, "rnn_minus_gpt_bits": 1.5,
                               "se_loss_gap": 0.1},
                 "partly supported": {"rnn_near": 0.3, "rnn_far": 0.13, "se_rnn_drop": 0.03,
                                      "rnn_minus_gpt_bits": 2.0, "se_loss_gap": 0.1},
                 "not supported": {"rnn_near": 0.95, "rnn_far": 0.93, "se_rnn_drop": 0.02,
                                   "rnn_minus_gpt_bits": 0.02, "se_loss_gap": 0.05},
             },
             note="'Loses early words' needs a network that learned the task (≥ 0.5 at the shortest gaps, four "
                  "times chance) and then fails with distance (a drop of ≥ 0.15, several times the ±0.02 "
                  "sampling noise): a network that never learned is 'trains slowly', not 'forgets', and gets "
                  "at most 'partly'. 'Trains slowly': ≥ 0.1 bits behind a Transformer after equal steps.",
         ))

register("ARCH-2", "An LSTM keeps information far longer than a plain RNN (up to hundreds of steps), "
         "yet its language ability stays limited.",
         "ZB §1.2", "01", "recall accuracy vs distance, LSTM vs RNN; held-out bits per character of an LSTM "
         "and a GPT of equal size after equal training tokens",
         rule=Rule(
             quantities={
                 "lstm_far": "LSTM recall accuracy at the two longest gaps tested, mean over seeds",
                 "rnn_far": "RNN recall accuracy at the same gaps, mean over seeds",
                 "se_far_gap": "standard error over seeds of lstm_far - rnn_far",
                 "lstm_reach": "longest gap tested (tokens) at which the LSTM's mean accuracy is still >= 0.5",
                 "lstm_minus_gpt_bits": "held-out bits per character, LSTM minus GPT, equal parameters and "
                                        "training tokens, learning rates from the same sweep; mean over seeds",
                 "se_lm_gap": "standard error over seeds of lstm_minus_gpt_bits",
             },
             branches=[
                 ("supported", ("lstm_far - rnn_far > max(0.15, 2 * se_far_gap) and lstm_reach >= 100 "
                               "and lstm_minus_gpt_bits > max(0.02, 2 * se_lm_gap)")),
                 ("partly supported", "lstm_far - rnn_far > max(0.15, 2 * se_far_gap)"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"lstm_far": 0.8, "rnn_far": 0.2, "se_far_gap": 0.05, "lstm_reach": 256,
                               "lstm_minus_gpt_bits": 0.1, "se_lm_gap": 0.02},
                 "partly supported": {"lstm_far": 0.8, "rnn_far": 0.2, "se_far_gap": 0.05, "lstm_reach": 256,
                                      "lstm_minus_gpt_bits": -0.05, "se_lm_gap": 0.02},
                 "not supported": {"lstm_far": 0.25, "rnn_far": 0.2, "se_far_gap": 0.05, "lstm_reach": 8,
                                   "lstm_minus_gpt_bits": 0.1, "se_lm_gap": 0.02},
             },
             note="Three parts, all needed for 'supported': the LSTM beats the RNN at the longest gaps (≥ 0.15, "
                  "beyond 2 SE), it still recalls (≥ 0.5, four times chance) at a gap of ≥ 100 tokens "
                  "('hundreds'; a profile whose longest gap is shorter cannot reach 'supported'), and it is a "
                  "weaker language model than a Transformer of the same size and training tokens (≥ 0.02 "
                  "bits/char, beyond 2 SE). The memory part alone gives 'partly'.",
         ))

register("ARCH-3", "A Transformer can keep track of where each word or phrase sits in the sequence.",
         "ZB §1.2", "01", "accuracy on an order-only task (which of two marks came first?) of a one-layer "
         "Transformer with position embeddings, against the same model without them (blind to order)",
         rule=Rule(
             quantities={
                 "acc_positions": "order-task accuracy, one-layer GPT with position embeddings, mean over seeds",
                 "acc_no_positions": "the same model without position embeddings, mean over seeds",
                 "se_position_gap": "standard error over seeds of acc_positions - acc_no_positions",
             },
             branches=[
                 ("supported", ("acc_positions >= 0.9 and acc_positions - acc_no_positions > "
                               "max(0.2, 2 * se_position_gap)")),
                 ("partly supported", ("acc_positions >= 0.6 and acc_positions - acc_no_positions > "
                                      "max(0.05, 2 * se_position_gap)")),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"acc_positions": 0.99, "acc_no_positions": 0.5, "se_position_gap": 0.01},
                 "partly supported": {"acc_positions": 0.7, "acc_no_positions": 0.5, "se_position_gap": 0.02},
                 "not supported": {"acc_positions": 0.52, "acc_no_positions": 0.5, "se_position_gap": 0.02},
             },
             note="Chance is 0.5 (name one of the two marks). 'Tracks position' = solves the order task "
                  "(≥ 0.9) and the solution comes from the position information (≥ 0.2 above the same model "
                  "without it, beyond 2 SE). The card keeps to the source: attention relating every token to "
                  "every other is the mechanism, not the claim.",
         ))

register("ARCH-4", "Transformers cost more compute but run in parallel, so extra compute and data keep "
         "turning into better models, while the LSTM scales worse.",
         "ZB §1.2; ZB-notes §1.2", "01", "sequential depth and step time; held-out loss vs model size for "
         "LSTMs and GPTs at equal training tokens (Kaplan et al. 2020, Fig. 7 in miniature)",
         rule=Rule(
             quantities={
                 "alpha_gpt": "exponent of held-out loss vs non-embedding parameters, L ∝ N^-α, GPT sizes at "
                              "equal tokens, mean over seeds of per-seed fits",
                 "se_alpha_gpt": "standard error over seeds of alpha_gpt",
                 "alpha_lstm": "the same exponent for the LSTM sizes",
                 "se_alpha_gap": "standard error over seeds of alpha_gpt - alpha_lstm",
             },
             branches=[
                 ("supported", ("alpha_gpt > max(0.01, 2 * se_alpha_gpt) and alpha_gpt - alpha_lstm > "
                               "max(0.02, 2 * se_alpha_gap)")),
                 ("partly supported", "alpha_gpt > max(0.01, 2 * se_alpha_gpt)"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"alpha_gpt": 0.08, "se_alpha_gpt": 0.005, "alpha_lstm": 0.03,
                               "se_alpha_gap": 0.008},
                 "partly supported": {"alpha_gpt": 0.06, "se_alpha_gpt": 0.005, "alpha_lstm": 0.06,
                                      "se_alpha_gap": 0.008},
                 "not supported": {"alpha_gpt": 0.0, "se_alpha_gpt": 0.005, "alpha_lstm": 0.05,
                                   "se_alpha_gap": 0.008},
             },
             note="'Keeps turning compute into better models': the GPT's loss falls with size (α > 0.01 and "
                  "beyond 2 SE). 'The LSTM scales worse': the GPT's exponent exceeds the LSTM's by ≥ 0.02 — a "
                  "quarter of Kaplan et al.'s α_N ≈ 0.076 — beyond 2 SE. Parallelism itself (sequential "
                  "depth 1 vs T per layer) is counted and shown, not scored: it holds by construction.",
         ))

register("ARCH-5", "Pre-training on unlabeled text removed the bottleneck of hand-labelled data.",
         "ZB §1.2", "01", "topic accuracy vs labels per class on passages held out of pre-training, a "
         "pre-trained GPT and the same GPT from scratch, same fine-tuning, learning rate per arm from a grid",
         rule=Rule(
             quantities={
                 "gain_fewest": "accuracy of the pre-trained arm minus the from-scratch arm at the fewest labels, "
                                "mean over label draws",
                 "se_gain_fewest": "standard error of gain_fewest over label draws",
                 "pre_fewest_minus_scratch_most": "pre-trained accuracy at the fewest labels minus from-scratch "
                                                  "accuracy at the most labels (mean over draws)",
                 "se_cross": "standard error of pre_fewest_minus_scratch_most over label draws",
             },
             branches=[
                 ("supported", ("gain_fewest > max(0.05, 2 * se_gain_fewest) and pre_fewest_minus_scratch_most > "
                               "-2 * se_cross")),
                 ("partly supported", "gain_fewest > max(0.05, 2 * se_gain_fewest)"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"gain_fewest": 0.2, "se_gain_fewest": 0.03, "pre_fewest_minus_scratch_most": 0.01,
                               "se_cross": 0.03},
                 "partly supported": {"gain_fewest": 0.1, "se_gain_fewest": 0.02,
                                      "pre_fewest_minus_scratch_most": -0.2, "se_cross": 0.03},
                 "not supported": {"gain_fewest": 0.01, "se_gain_fewest": 0.03,
                                   "pre_fewest_minus_scratch_most": -0.3, "se_cross": 0.03},
             },
             note="Pre-training must help where labels are scarce (≥ 5 accuracy points at the fewest labels, "
                  "beyond 2 SE over label draws) for 'partly'; 'removed the bottleneck' also needs the "
                  "pre-trained model with the fewest labels to match (within 2 SE) the from-scratch model "
                  "given the most labels (16x as many or more).",
         ))

register("ARCH-6", "Plain attention is a poor fit for very long contexts (its cost grows with the square "
         "of the length), and longer context windows make inference slower.",
         "YZ; ZB §2.2", "01", "one attention layer's time over a whole context vs its length; per-token "
         "generation time vs context length with a KV cache, against an LSTM's recurrent state",
         rule=Rule(
             quantities={
                 "prefill_slope": "log-log slope of one attention layer's scores-and-mixing time vs context "
                                  "length T, over the longest lengths (2 = quadratic; minimum of interleaved "
                                  "repeats)",
                 "gpt_token_slope": "log-log slope of a GPT's time per generated token (KV cache) vs the "
                                    "context already read, over the longest lengths",
                 "lstm_token_slope": "the same for an LSTM carrying its recurrent state",
             },
             branches=[
                 ("supported", "prefill_slope >= 1.6 and gpt_token_slope - lstm_token_slope >= 0.3"),
                 ("partly supported", "prefill_slope >= 1.6 or gpt_token_slope - lstm_token_slope >= 0.3"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"prefill_slope": 1.9, "gpt_token_slope": 0.8, "lstm_token_slope": 0.0},
                 "partly supported": {"prefill_slope": 1.9, "gpt_token_slope": 0.1, "lstm_token_slope": 0.0},
                 "not supported": {"prefill_slope": 1.1, "gpt_token_slope": 0.1, "lstm_token_slope": 0.05},
             },
             note="Quadratic cost: a slope of ≥ 1.6, closer to 2 than to 1 (fixed per-call costs flatten the short "
                  "end; the unit test shows the slopes stay within 0.3 of their value under a busy CPU). 'Longer "
                  "windows make inference slower': with a KV cache each new token reads every cached one, so "
                  "its time must grow with the context (slope ≥ 0.3 above the LSTM's, whose state has a fixed "
                  "size); the work is also counted in FLOPs and bytes beside.",
         ))
