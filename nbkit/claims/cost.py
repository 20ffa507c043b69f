"""Cost, speed and energy claims (notebook 07), each with its registered decision rule.

COST-1, 2, 4 and 6 are forecasts or market figures: they get "context only",
with the arithmetic that can be checked recorded as quantities. COST-3 and
COST-5 are measured on this machine: speeds are greedy decoding at batch 1,
timed as the minimum over interleaved repeats (``nbkit.speed``); losses are
bits per byte of the kit's byte-level GPTs on held-out documents
(``nbkit.corpus``), mean over seeds.
"""

from .registry import Rule, register

_CONTEXT = [("context only", "True")]

register("COST-1", "Hardware improvements cut the cost of AI compute 53% a year and algorithms cut training "
         "cost 47% a year; together training cost falls about 75% a year.",
         "ZB §3.1", "07", "the composition of two independent yearly declines (context only)", rule=Rule(
             quantities={
                 "combined_decline": "1 - (1 - 0.53)(1 - 0.47): the two declines composed (fraction per year)",
                 "claimed_decline": "the combined decline the source states (fraction per year)",
                 "naive_sum": "0.53 + 0.47: what adding the declines would wrongly give",
                 "factor_by_2030": "times cheaper after 2024-2030 (6 years) at the combined decline",
             },
             branches=_CONTEXT,
             examples={"context only": {"combined_decline": 0.7509, "claimed_decline": 0.75, "naive_sum": 1.0,
                                        "factor_by_2030": 4000.0}},
             note="A forecast (ARK, Wright's law): nothing to measure here. We check that the three numbers fit "
                  "together: independent declines compose by multiplying what each leaves.",
         ))

register("COST-2", "Inference cost falls about 86% a year; GPT-4o vs GPT-4, one year apart: 5x faster and "
         "about 10x cheaper.",
         "ZB §3.1", "07", "arithmetic of the cited figures and of the list prices (context only)", rule=Rule(
             quantities={
                 "elapsed_years": "years from GPT-4's release (2023-03-14) to GPT-4o's (2024-05-13)",
                 "factor_86_one_year": "times cheaper after 1 year at 86%/yr",
                 "factor_86_elapsed": "times cheaper after elapsed_years at 86%/yr",
                 "decline_for_10x_one_year": "yearly decline that gives 10x in exactly one year",
                 "list_price_factor": "GPT-4 (8k) over GPT-4o launch list price, 3:1 input:output tokens",
                 "decline_from_list_price": "yearly decline implied by list_price_factor over elapsed_years",
             },
             branches=_CONTEXT,
             examples={"context only": {"elapsed_years": 1.17, "factor_86_one_year": 7.1, "factor_86_elapsed": 9.9,
                                        "decline_for_10x_one_year": 0.9, "list_price_factor": 5.0,
                                        "decline_from_list_price": 0.75}},
             note="Market figures about a closed model: we can only check whether 86%/yr and '10x cheaper in a "
                  "year' agree with each other and with the published list prices.",
         ))

register("COST-3", "In the 'LLM OS', tokens per second are the CPU clock (GPT-4o about 50 tok/s) and the "
         "context window is the RAM; smaller models run faster but reason worse; a larger window runs slower.",
         "ZB §2.2; ZB-notes", "07",
         "decode tokens/s (KV cache, batch 1) and held-out loss of our GPTs of several sizes (3 seeds); tokens/s "
         "vs context length with and without a KV cache; KV-cache bytes vs context; SmolLM2-135M beside them",
         rule=Rule(
             quantities={
                 "speed_ratio": "decode tokens/s of the smallest trained GPT over the largest (KV cache, batch 1)",
                 "loss_gap": "held-out bits/byte of the smallest GPT minus the largest (mean over seeds): how much "
                             "worse the smaller one predicts",
                 "se_loss_gap": "standard error of loss_gap over seeds",
                 "context_slowdown": "decode tokens/s at the shortest context over the longest (>= 1,000 "
                                     "tokens), with a KV cache, on the biggest GPT shape timed",
             },
             branches=[
                 ("supported", ("speed_ratio >= 1.5 and loss_gap > 0.05 and loss_gap > 2 * se_loss_gap "
                               "and context_slowdown >= 1.2")),
                 ("partly supported", "speed_ratio >= 1.5 and loss_gap > 0.05 and loss_gap > 2 * se_loss_gap"),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"speed_ratio": 3.0, "loss_gap": 0.4, "se_loss_gap": 0.02, "context_slowdown": 2.0},
                 "partly supported": {"speed_ratio": 3.0, "loss_gap": 0.4, "se_loss_gap": 0.02,
                                      "context_slowdown": 1.05},
                 "not supported": {"speed_ratio": 1.1, "loss_gap": 0.4, "se_loss_gap": 0.02,
                                   "context_slowdown": 2.0},
             },
             note="The trade-off is the core: the smaller model must be clearly faster (>= 1.5x) AND clearly worse "
                  "(> 0.05 bits/byte, the margin notebook 03 uses between sizes, and beyond 2 standard errors of "
                  "seed noise). 'A larger window runs slower' must show as >= 20% fewer tokens/s at the longest "
                  "context; without it the claim is only partly borne out. Held-out loss stands in for "
                  "'reasoning': a proxy, said so on the card.",
         ))

register("COST-4", "25M data-centre GPUs by 2030 would outrun US power supply (3M today); a 5 GW cluster is "
         "about 70% of 2023 US data-centre electricity use; frontier training runs reach about 1e26 FLOP.",
         "ZB §3.2-3.3", "07", "power = GPUs x watts x PUE, energy = power x time, FLOPs = 6·N·D, GPU-days "
         "from peak FLOP/s and utilisation, with cited inputs (context only)", rule=Rule(
             quantities={
                 "gw_25m_gpus": "facility power of 25M H100-class GPUs (server share, PUE as set), GW",
                 "share_of_us_generation": "their yearly energy / 2023 US electricity generation",
                 "ratio_to_us_datacenters_2023": "their yearly energy / 2023 US data-centre use",
                 "share_5gw_of_2023": "a 5 GW cluster's yearly energy / 2023 US data-centre use (LBNL)",
                 "twh_needed_for_70pct": "the 2023 US data-centre use (TWh) that would make 5 GW = 70%",
                 "gpu_days_1e26": "H100 GPU-days for 1e26 FLOP at the chosen utilisation",
                 "mwh_1e26": "facility energy of that run, MWh",
                 "llama3_6nd_over_reported": "6·N·D for Llama 3 405B over its reported training FLOP",
             },
             branches=_CONTEXT,
             examples={"context only": {"gw_25m_gpus": 38.0, "share_of_us_generation": 0.08,
                                        "ratio_to_us_datacenters_2023": 1.9, "share_5gw_of_2023": 0.25,
                                        "twh_needed_for_70pct": 63.0, "gpu_days_1e26": 2.9e6,
                                        "mwh_1e26": 1e5, "llama3_6nd_over_reported": 1.0}},
             note="Forecasts and reported figures: we check the arithmetic with cited inputs, and say which "
                  "figure it does not reproduce.",
         ))

register("COST-5", "With careful engineering, LLMs run on CPUs and old GPUs (one programmer's C++ CPU inference); "
         "small, specialised models cut the cost of deployment.",
         "LQ; AGI-BM §5", "07",
         "int8 vs float32 on this CPU: the packaged int8 ONNX MiniLM vs float32 MiniLM (size, speed, embedding "
         "agreement) and torch dynamic int8 of our largest GPT (size, speed, held-out loss, 3 seeds); "
         "SmolLM2-135M naive vs careful int8 beside them", rule=Rule(
             quantities={
                 "minilm_size_ratio": "float32 MiniLM weights on disk over the int8 ONNX file",
                 "minilm_cosine": "mean cosine of float32 vs int8 MiniLM vectors of the same held-out sentences",
                 "minilm_speedup": "float32 encoding time over int8 encoding time (same sentences)",
                 "gpt_size_ratio": "our largest GPT on disk: float32 over dynamic int8",
                 "gpt_loss_increase": "held-out bits/byte of the int8 GPT minus float32 (mean over seeds)",
                 "gpt_speedup": "decode tokens/s of the int8 GPT over float32 (KV cache, batch 1)",
             },
             branches=[
                 ("supported", ("minilm_size_ratio >= 3 and minilm_cosine >= 0.99 and gpt_loss_increase <= 0.02 "
                               "and max(minilm_speedup, gpt_speedup) >= 1.2")),
                 ("partly supported", ("minilm_size_ratio >= 3 and minilm_cosine >= 0.99 "
                                      "and gpt_loss_increase <= 0.05")),
                 ("not supported", "True"),
             ],
             examples={
                 "supported": {"minilm_size_ratio": 4.0, "minilm_cosine": 0.999, "minilm_speedup": 1.5,
                               "gpt_size_ratio": 2.5, "gpt_loss_increase": 0.005, "gpt_speedup": 0.8},
                 "partly supported": {"minilm_size_ratio": 4.0, "minilm_cosine": 0.999, "minilm_speedup": 0.9,
                                      "gpt_size_ratio": 2.5, "gpt_loss_increase": 0.01, "gpt_speedup": 0.8},
                 "not supported": {"minilm_size_ratio": 4.0, "minilm_cosine": 0.95, "minilm_speedup": 1.5,
                                   "gpt_size_ratio": 2.5, "gpt_loss_increase": 0.3, "gpt_speedup": 1.5},
             },
             note="int8 stores 1 byte per weight instead of 4, so a working quantization is >= 3x smaller "
                  "(embeddings and scales stay larger). 'Careful' means quality is kept: embeddings agree to a "
                  "cosine >= 0.99 and the generator loses <= 0.02 bits/byte (a tenth of a typical size step). "
                  "'Cheaper to run' also needs time: at least one of the two must get >= 20% faster on this "
                  "CPU; smaller at the same quality but not faster is only partly borne out.",
         ))

register("COST-6", "Cheaper intelligence raises total demand for it (Jevons paradox): efficiency gains lead "
         "to more use, not less.",
         "ZB §3.1, §5.1", "07", "a constant-elasticity demand model: for which elasticities a cost cut raises "
         "total spend (context only)", rule=Rule(
             quantities={
                 "backfire_elasticity": "the price elasticity of demand above which a cost cut raises total "
                                        "spend (resource use)",
                 "spend_ratio_inelastic": "total spend after a 10x cost cut over before, elasticity 0.5",
                 "spend_ratio_elastic": "total spend after a 10x cost cut over before, elasticity 1.5",
             },
             branches=_CONTEXT,
             examples={"context only": {"backfire_elasticity": 1.0, "spend_ratio_inelastic": 0.32,
                                        "spend_ratio_elastic": 3.16}},
             note="Whether demand for intelligence is elastic enough is an empirical question about the future "
                  "that no experiment here can settle; the model shows what it hinges on.",
         ))
