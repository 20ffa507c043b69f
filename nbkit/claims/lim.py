"""Limits-of-learning claims (notebook 08), each with its registered decision rule."""

from .registry import Rule, register  # noqa: F401  (Rule is used once the rules are written)

register("LIM-1", "Neural nets of various sizes predict a sine wave poorly beyond their data; current AI "
         "computes shallowly and cannot shortcut computationally irreducible processes.",
         "ZB §4.5", "08", "error inside vs outside the training range; rule 30 vs an additive rule", rule=None)
register("LIM-2", "General methods that scale with compute (search and learning) beat hand-built "
         "knowledge in the long run (the Bitter Lesson).",
         "ZB §4", "08", "learned vs hand-made features as data and compute grow", rule=None)
register("LIM-3", "Deep learning is a universal function approximator.",
         "ZB §3.4", "08", "fit error vs width within the data range", rule=None)
