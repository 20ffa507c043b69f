"""Representation-convergence claims (notebook 06), each with its registered decision rule."""

from .registry import Rule, register  # noqa: F401  (Rule is used once the rules are written)

register("CONV-1", "Models trained on different data, objectives and modalities converge toward one "
         "shared representation; strong models resemble each other, weak ones differ each in their own way.",
         "ZB §4.3", "06", "alignment between models, against permutation nulls and untrained baselines",
         rule=None)
register("CONV-2", "Task generality, capacity and a simplicity bias drive convergence; bigger models "
         "get closer to the shared optimum.",
         "ZB §4.3", "06", "alignment vs width, number of tasks and regularisation", rule=None)
register("CONV-3", "Stitching one model's lower layers to another's upper layers works when their "
         "representations are compatible.",
         "ZB §4.3", "06", "accuracy lost by affine stitching", rule=None)
register("CONV-4", "Paired cross-modal data increases convergence; to train the best text model, add "
         "images too.",
         "ZB §4.3, §4.2", "06", "image-text alignment with and without paired training", rule=None)
