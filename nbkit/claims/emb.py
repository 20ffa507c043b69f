"""Embedding claims (notebook 04), each with its registered decision rule.

Word-level numbers are Spearman ρ between cosine similarity and human ratings
(WordSim-353 mixes relatedness and similarity; SimLex-999 rates similarity
only). Published anchors: GloVe 6B 300-d reaches ρ = 0.658 on WordSim-353
(Pennington et al. 2014, Table 3); SimLex-999's authors report that the best
models of the time stayed well below the human agreement ceiling of ≈ 0.67
(Hill et al. 2015). Random vectors give ρ ≈ 0 ± 1/√pairs.
"""

from .registry import Rule, register

_PROBE = ("held-out accuracy of a logistic-regression probe predicting a paragraph's package from its vector "
          "(trained on paragraphs of training documents, scored on held-out documents; 0-1)")

register("EMB-1", "Inside a network, symbols become large vectors, and meaning lives in the vectors and "
         "how they interact (an RNN's final state as a 'thought vector').",
         "ZB §4.1", "04", "neighbours, benchmarks and probes on learned vs one-hot vectors", rule=Rule(
             quantities={
                 "rho_sgns": "WordSim-353 Spearman ρ of our skip-gram vectors, mean over seeds (pairs our "
                             "vocabulary covers; −1…1)",
                 "rho_random": "the same for random vectors of the same words (a one-hot-like code: no similarity "
                               "structure), mean over seeds",
                 "se_gap": "standard error over seeds of rho_sgns − rho_random",
                 "probe_rnn": f"final state of our trained byte-level LSTM as a sentence vector: {_PROBE}, mean "
                              "over seeds",
                 "probe_rnn_untrained": "the same for the untrained LSTM (random weights, same shape)",
                 "probe_chance": "majority-class share of the held-out paragraphs",
                 "se_probe": "standard error of probe_rnn − probe_rnn_untrained (held-out sampling and seeds)",
             },
             branches=[
                 ("supported", ("rho_sgns - rho_random > max(0.2, 2 * se_gap) and "
                               "probe_rnn - max(probe_rnn_untrained, probe_chance) > max(0.05, 2 * se_probe)")),
                 ("partly supported", ("rho_sgns - rho_random > max(0.2, 2 * se_gap) or "
                                      "probe_rnn - max(probe_rnn_untrained, probe_chance) > max(0.05, 2 * se_probe)")),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"rho_sgns": 0.4, "rho_random": 0.0, "se_gap": 0.03, "probe_rnn": 0.6,
                               "probe_rnn_untrained": 0.4, "probe_chance": 0.2, "se_probe": 0.04},
                 "partly supported": {"rho_sgns": 0.4, "rho_random": 0.0, "se_gap": 0.03, "probe_rnn": 0.42,
                                      "probe_rnn_untrained": 0.4, "probe_chance": 0.2, "se_probe": 0.04},
                 "not supported": {"rho_sgns": 0.1, "rho_random": 0.0, "se_gap": 0.03, "probe_rnn": 0.42,
                                   "probe_rnn_untrained": 0.4, "probe_chance": 0.2, "se_probe": 0.04},
             },
             note="Two halves, both needed for 'supported'. Words: vectors learned from 0.5M words of text must "
                  "agree with people at least 0.2 better than a code with no similarity (a third of the way to "
                  "GloVe's published 0.66 on billions of words) and beyond twice the seed noise. Sentences: the "
                  "'thought vector' must carry the topic of unseen paragraphs 5 points beyond both chance and the "
                  "same network untrained (random recurrent features already carry some information).",
         ))

register("EMB-2", "Embeddings map high-dimensional data to low-dimensional vectors whose distances "
         "measure similarity.",
         "ZB-notes, embedding models", "04", "similarity rankings vs human judgements, across dimensions", rule=Rule(
             quantities={
                 "rho_ws_best": "best WordSim-353 Spearman ρ among the packaged word embeddings (GloVe 50-d, "
                                "MiniLM's 384-d input tokens, WordLlama's 256-d word vectors), on the pairs all three cover",
                 "rho_simlex_best": "the same on SimLex-999 (similarity proper, not relatedness)",
                 "rho_ws_random": "random vectors on the same WordSim pairs, mean over seeds",
                 "rho_tfidf_full": "WordSim ρ of high-dimensional word vectors (each word's TF-IDF weights over "
                                   "thousands of Wikipedia paragraphs)",
                 "rho_tfidf_64": "the same vectors reduced to 64 dimensions by truncated SVD (LSA), same pairs",
             },
             branches=[
                 ("supported", ("rho_ws_best >= 0.5 and rho_simlex_best >= 0.3 and rho_tfidf_full > 0.1 and "
                               "rho_tfidf_64 >= 0.8 * rho_tfidf_full")),
                 ("partly supported", "rho_ws_best - rho_ws_random >= 0.2"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"rho_ws_best": 0.6, "rho_simlex_best": 0.35, "rho_ws_random": 0.0,
                               "rho_tfidf_full": 0.4, "rho_tfidf_64": 0.45},
                 "partly supported": {"rho_ws_best": 0.6, "rho_simlex_best": 0.2, "rho_ws_random": 0.0,
                                      "rho_tfidf_full": 0.4, "rho_tfidf_64": 0.45},
                 "not supported": {"rho_ws_best": 0.1, "rho_simlex_best": 0.05, "rho_ws_random": 0.0,
                                   "rho_tfidf_full": 0.4, "rho_tfidf_64": 0.2},
             },
             note="'Distances measure similarity' is tested on both human sets: 0.5 on WordSim is about three "
                  "quarters of GloVe's published 300-d score (small packaged models should come close); 0.3 on "
                  "SimLex is a modest bar well under its ≈ 0.67 human ceiling, since SimLex punishes 'related but "
                  "not similar'. 'Low-dimensional' is tested by reduction: 64 dimensions must keep at least 80 % "
                  "of the high-dimensional vectors' agreement with people.",
         ))

register("EMB-3", "Concepts that sit close together inside a model are the ones people find related, "
         "even across languages.",
         "ZB §4.1", "04", "neighbourhoods of concepts vs human relatedness; across languages", rule=Rule(
             quantities={
                 "rho_ws_median": "median WordSim-353 Spearman ρ (human relatedness) over the three packaged word "
                                  "embeddings, on the pairs all three cover",
                 "purity_minilm": "share of each held-out paragraph's 10 nearest neighbours (all-MiniLM-L6-v2, "
                                  "cosine) from the same package (0-1)",
                 "purity_shuffled": "the same with the package labels shuffled (chance), mean of 20 shuffles",
                 "cross_language_tested": "1 if a packaged embedder that reads Chinese as well as English was measured "
                                          "on English–Chinese parallel text, else 0",
                 "cross_language_r1": "best English→Chinese recall@1 of all-MiniLM-L6-v2 and WordLlama: mean over "
                                      "30 word and 30 sentence pairs written for the notebook (chance 1/30; 0 if "
                                      "untested)",
             },
             branches=[
                 ("supported", ("rho_ws_median >= 0.5 and purity_minilm - purity_shuffled >= 0.2 and "
                               "cross_language_tested == 1 and cross_language_r1 >= 0.5")),
                 ("partly supported", "rho_ws_median >= 0.3 and purity_minilm - purity_shuffled >= 0.1"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"rho_ws_median": 0.55, "purity_minilm": 0.6, "purity_shuffled": 0.2,
                               "cross_language_tested": 1, "cross_language_r1": 0.8},
                 "partly supported": {"rho_ws_median": 0.55, "purity_minilm": 0.6, "purity_shuffled": 0.2,
                                      "cross_language_tested": 0, "cross_language_r1": 0},
                 "not supported": {"rho_ws_median": 0.2, "purity_minilm": 0.25, "purity_shuffled": 0.2,
                                   "cross_language_tested": 0, "cross_language_r1": 0},
             },
             note="The median model (not the best) must agree with human relatedness (0.5 as for EMB-2), and "
                  "a sentence model's neighbourhoods must group paragraphs by what they are about, 20 points "
                  "above shuffled labels. 'Across languages' is part of the claim: a packaged model must find the "
                  "translation of at least half of the English items among 30 Chinese ones; without a model that "
                  "reads both it stays untested, and the verdict can be at most 'partly supported'.",
         ))
