"""Scaling-law claims (notebook 02), each with its registered decision rule."""

from .registry import Rule, register  # noqa: F401  (Rule is used once the rules are written)

register("SCALE-1", "Test loss falls predictably, as a power law, when models grow; the law is universal, "
         "independent of any particular model or data set; enough compute and good data make a strong "
         "enough model.",
         "ZB §1.1, §1.3", "02", "loss vs parameters over a sweep on two data sets; held-out sizes predicted",
         rule=None)
register("SCALE-2", "For Transformers of a fixed parameter count, the split between width and depth "
         "hardly matters; the count does.",
         "AGI-BM §1", "02", "loss of several shapes at equal parameter count", rule=None)
register("SCALE-3", "GPT-2 to GPT-4 took about 3.5-4 more orders of magnitude of training compute; "
         "by 2027-28 another 3-6 orders (compute, algorithms, unhobbling) are expected.",
         "ZB §4.4", "02", "the arithmetic of the cited orders of magnitude (context only)", rule=None)
register("SCALE-4", "Intelligence is energy turned into capability by an algorithm: with the algorithm "
         "fixed, how much capability you get depends entirely on how much compute you put in.",
         "YZ", "02", "the compute frontier of our sweep, and whether models at equal compute differ", rule=None)
register("SCALE-5", "The harder the output choice (more classes, bigger vocabulary), the more data is "
         "needed, claimed to grow exponentially with the number of classes.",
         "AGI-BM §1-2", "02", "samples needed vs number of classes, on log-log axes", rule=None)
