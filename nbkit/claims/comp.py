"""Compression claims (notebook 03), each with its registered decision rule."""

from .registry import Rule, register  # noqa: F401  (Rule is used once the rules are written)

register("COMP-1", "A model that compresses data well has learned something about it; a pre-trained "
         "Transformer compresses information highly; an LLM is a lossy, blurry compression of its text.",
         "ZB §1.3; LQ", "03", "bits per character of models vs classical compressors on held-out text",
         rule=None)
register("COMP-2", "The compression ratio on a large data set measures model quality; the source puts "
         "GPT-4 at 30+ in some domains vs a little over 10 for open models.",
         "YZ", "03", "compression ratios of compressors and models on several real domains", rule=None)
register("COMP-3", "Knowing the rule behind data compresses it drastically: an arithmetic sequence of "
         "10,000 numbers needs only two numbers.",
         "YZ", "03", "size of a rule-aware code vs general-purpose compressors", rule=None)
