"""RAG and app-stack claims (notebook 05), each with its registered decision rule.

Accuracies are measured on a private knowledge base that ``nbkit.kb`` invents
from a seed (no model can have seen it), scored by normalised containment of
the exact answer, with 95 % Wilson intervals (``nbkit.rag.wilson``). An effect
counts only when the intervals of the two conditions do not overlap.
"""

from .registry import Rule, register

_ACC = "share of private facts answered correctly (0…1)"
# RAG-2: one term per layer of the stack, each 1 when that layer measurably does its job
_LAYERS_WITH_A_JOB = ("(chunk_spread >= 0.05) + (embed_gain >= 0.05) + (hnsw_recall >= 0.9 and hnsw_speedup >= 2) "
                      "+ (lift_gap > 0) + (cache_safe_hits >= 0.2) + (ground_recall >= 0.5 and ground_precision >= "
                      "0.5) + (injection_cut >= 0.2 and mitigation_cost <= 0.1)")

register("RAG-1", "Retrieval lets a model answer from private data it never saw in training, using it "
         "as a reasoning engine rather than a database.",
         "ZB §2.2", "05", "answer accuracy on private facts with and without retrieval", rule=Rule(
             quantities={
                 "acc_closed": f"closed book (question only): {_ACC}",
                 "closed_high": "upper end of the 95 % Wilson interval of acc_closed",
                 "acc_retrieved": f"the real pipeline, top-k retrieved passages in the prompt: {_ACC}",
                 "retrieved_low": "lower end of the 95 % Wilson interval of acc_retrieved",
                 "acc_gold": f"the gold passage alone in the prompt (the reader's ceiling): {_ACC}",
                 "gold_low": "lower end of the 95 % Wilson interval of acc_gold",
             },
             branches=[
                 ("supported", "retrieved_low > closed_high and acc_retrieved >= 0.7"),
                 ("partly supported", "gold_low > closed_high"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"acc_closed": 0.0, "closed_high": 0.09, "acc_retrieved": 0.85, "retrieved_low": 0.71,
                               "acc_gold": 0.95, "gold_low": 0.83},
                 "partly supported": {"acc_closed": 0.0, "closed_high": 0.09, "acc_retrieved": 0.5,
                                      "retrieved_low": 0.35, "acc_gold": 0.9, "gold_low": 0.77},
                 "not supported": {"acc_closed": 0.1, "closed_high": 0.23, "acc_retrieved": 0.2, "retrieved_low": 0.1,
                                   "acc_gold": 0.3, "gold_low": 0.18},
             },
             note="'Lets a model answer' is read as: the real pipeline (not a hand-picked passage) lifts accuracy "
                  "beyond the closed-book interval AND answers most facts — at least 70 %, about the share a "
                  "reader needs before it trusts a tool. If only the gold passage clears the closed-book interval, "
                  "the model can read (the reasoning-engine half) but retrieval quality decides: partly supported.",
         ))

register("RAG-2", "The LLM app stack (pipelines, embeddings, vector store, orchestration, cache, "
         "logging, validation) has a job at each layer.",
         "ZB-notes, technology stack", "05", "what each layer adds, measured", rule=Rule(
             quantities={
                 "chunk_spread": "data pipeline: best minus worst recall@5 over the chunk size/overlap settings "
                                 "(hybrid retrieval, learner questions over the Python docs)",
                 "embed_gain": "embedding model: best recall@5 of dense or hybrid minus BM25 alone (same questions)",
                 "hnsw_recall": "vector index: HNSW recall@10 against exact search (synthetic vectors shaped like "
                                "the docs vectors)",
                 "hnsw_speedup": "vector index: exact-search time per query / HNSW time per query",
                 "lift_gap": "orchestration: lower Wilson end of retrieved-passage accuracy minus upper Wilson end "
                             "of closed-book accuracy (> 0: retrieval in the prompt helps beyond noise)",
                 "cache_safe_hits": "semantic LLM cache: paraphrase hit rate at the lowest threshold whose wrong-hit "
                                    "rate (paraphrases + one-word-changed questions) is at most 5 %",
                 "ground_recall": "validation: share of wrong answers the word-level grounding check flags (every "
                                  "word the answer claims must occur in the retrieved passages)",
                 "ground_precision": "validation: share of the answers it flags that are wrong",
                 "injection_cut": "security: success rate of the fake-correction injection without a defence minus "
                                  "with the best of three defences",
                 "mitigation_cost": "security: clean-accuracy loss of that mitigation (same questions, no poison)",
             },
             branches=[
                 ("supported", f"{_LAYERS_WITH_A_JOB} >= 6"),
                 ("partly supported", f"{_LAYERS_WITH_A_JOB} >= 4"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"chunk_spread": 0.1, "embed_gain": 0.1, "hnsw_recall": 0.98, "hnsw_speedup": 5,
                               "lift_gap": 0.3, "cache_safe_hits": 0.4, "ground_recall": 0.8, "ground_precision": 0.9,
                               "injection_cut": 0.5, "mitigation_cost": 0.0},
                 "partly supported": {"chunk_spread": 0.1, "embed_gain": 0.1, "hnsw_recall": 0.98, "hnsw_speedup": 5,
                                      "lift_gap": 0.3, "cache_safe_hits": 0.0, "ground_recall": 0.3,
                                      "ground_precision": 0.9, "injection_cut": 0.0, "mitigation_cost": 0.0},
                 "not supported": {"chunk_spread": 0.0, "embed_gain": -0.1, "hnsw_recall": 0.5, "hnsw_speedup": 1,
                                   "lift_gap": -0.2, "cache_safe_hits": 0.0, "ground_recall": 0.1,
                                   "ground_precision": 0.2, "injection_cut": 0.0, "mitigation_cost": 0.3},
             },
             note="Seven layers, each with a job it must measurably do: a knob that moves recall@5 by 5 points, "
                  "embeddings that add 5 points over word matching, an index ≥ 2× faster at ≥ 0.9 recall, "
                  "retrieval that helps beyond both intervals, a cache that serves a fifth of paraphrases while "
                  "serving ≤ 5 % wrong answers, a check that flags half the wrong answers with half its flags right, "
                  "and a defence that cuts attacks by 20 points at ≤ 10 points of clean accuracy. Logging is "
                  "bookkeeping (checked, not scored). Six of seven: supported; four: partly.",
         ))

register("RAG-3", "A model is not a database: without retrieval it cannot know private or fresh facts.",
         "ZB §2.2", "05", "closed-book vs open-book answers", rule=Rule(
             quantities={
                 "acc_closed": f"closed book: {_ACC}",
                 "closed_high": "upper end of the 95 % Wilson interval of acc_closed",
                 "acc_gold": f"open book, the gold passage in the prompt: {_ACC}",
                 "gold_low": "lower end of the 95 % Wilson interval of acc_gold",
             },
             branches=[
                 ("supported", "acc_closed <= 0.05 and acc_gold >= 0.75 and gold_low > closed_high"),
                 ("partly supported", "acc_closed <= 0.1 and acc_gold > acc_closed"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"acc_closed": 0.0, "closed_high": 0.09, "acc_gold": 0.9, "gold_low": 0.77},
                 "partly supported": {"acc_closed": 0.05, "closed_high": 0.17, "acc_gold": 0.4, "gold_low": 0.26},
                 "not supported": {"acc_closed": 0.3, "closed_high": 0.46, "acc_gold": 0.9, "gold_low": 0.77},
             },
             note="'Cannot know' means near zero: at most 5 % of private facts right without retrieval (one lucky "
                  "guess in twenty), while the same model, shown the passage, gets at least three in four and "
                  "beyond the closed-book interval — so the zero is about knowledge, not about a model that "
                  "cannot answer at all.",
         ))
