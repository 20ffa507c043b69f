"""Cost, speed and energy claims (notebook 07), each with its registered decision rule."""

from .registry import Rule, register  # noqa: F401  (Rule is used once the rules are written)

register("COST-1", "Hardware cuts AI compute cost 53% a year and algorithms cut training cost 47% a "
         "year, about 75% a year together.",
         "ZB §3.1", "07", "the composition of two independent declines (context only)", rule=None)
register("COST-2", "Inference cost falls about 86% a year; GPT-4o vs GPT-4 within a year: 5x faster, "
         "about 10x cheaper.",
         "ZB §3.1", "07", "arithmetic of the cited figures (context only)", rule=None)
register("COST-3", "In the 'LLM OS', tokens per second are the clock and the context window is the "
         "memory; smaller models run faster but reason worse.",
         "ZB §2.2; ZB-notes", "07", "tokens/s vs model size and context length on our models", rule=None)
register("COST-4", "25M datacenter GPUs by 2030 would outrun US power supply; a 5 GW cluster is about "
         "70% of 2023 US datacenter use; frontier runs reach about 1e26 FLOP.",
         "ZB §3.2-3.3", "07", "FLOPs = 6·N·D and GPU power arithmetic (context only)", rule=None)
register("COST-5", "With careful engineering LLMs run on CPUs and old GPUs; small vertical models cut "
         "deployment cost.",
         "LQ; AGI-BM §5", "07", "int8 vs fp32: size, speed, quality", rule=None)
register("COST-6", "Cheaper intelligence raises total demand (Jevons paradox).",
         "ZB §3.1, §5.1", "07", "a demand-elasticity toy model (context only)", rule=None)
