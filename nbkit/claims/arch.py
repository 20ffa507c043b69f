"""Architecture claims (notebook 01), each with its registered decision rule."""

from .registry import Rule, register  # noqa: F401  (Rule is used once the rules are written)

register("ARCH-1", "A plain recurrent network trains slowly and forgets what it saw early in a sequence.",
         "ZB §1.2", "01", "recall accuracy vs distance for an Elman RNN", rule=None)
register("ARCH-2", "An LSTM keeps information far longer than a plain RNN (up to hundreds of steps), "
         "yet its language ability stays limited.",
         "ZB §1.2", "01", "recall accuracy vs distance, LSTM vs RNN; held-out bits per character", rule=None)
register("ARCH-3", "A Transformer can keep track of where each word or phrase sits in the sequence.",
         "ZB §1.2", "01", "accuracy on an order task with and without position information", rule=None)
register("ARCH-4", "Transformers cost more compute but run in parallel, so extra compute and data keep "
         "turning into better models, while the LSTM scales worse.",
         "ZB §1.2; ZB-notes §1.2", "01", "sequential depth and step time; loss vs size at equal tokens", rule=None)
register("ARCH-5", "Pre-training on unlabeled text removed the bottleneck of hand-labelled data.",
         "ZB §1.2", "01", "accuracy vs number of labels, with and without language-model pre-training", rule=None)
register("ARCH-6", "Plain attention is a poor fit for very long contexts (its cost grows with the square "
         "of the length), and longer context windows make inference slower.",
         "YZ; ZB §2.2", "01", "attention cost vs context length; per-token generation time vs context",
         rule=None)
