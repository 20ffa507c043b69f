"""Embedding claims (notebook 04), each with its registered decision rule."""

from .registry import Rule, register  # noqa: F401  (Rule is used once the rules are written)

register("EMB-1", "Inside a network, symbols become large vectors, and meaning lives in the vectors and "
         "how they interact (an RNN's final state as a 'thought vector').",
         "ZB §4.1", "04", "neighbours, benchmarks and probes on learned vs one-hot vectors", rule=None)
register("EMB-2", "Embeddings map high-dimensional data to low-dimensional vectors whose distances "
         "measure similarity.",
         "ZB-notes, embedding models", "04", "similarity rankings vs human judgements, across dimensions",
         rule=None)
register("EMB-3", "Concepts that sit close together inside a model are the ones people find related, "
         "even across languages.",
         "ZB §4.1", "04", "neighbourhoods of concepts vs human relatedness; across languages", rule=None)
