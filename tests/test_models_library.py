import pytest
import torch

from nbkit import models


@pytest.mark.parametrize("d_model, n_layers, n_heads", [(32, 1, 2), (64, 2, 4), (128, 3, 4)])
def test_our_gpt_has_exactly_gpt2s_parameter_count(d_model, n_layers, n_heads):
    cfg = models.ModelConfig(kind="gpt", d_model=d_model, n_layers=n_layers, n_heads=n_heads, context=64)
    ours, theirs = models.build_model(cfg), models.library_gpt2(cfg)
    assert models.count_parameters(ours) == sum(p.numel() for p in theirs.parameters())
    logits = theirs(torch.zeros(2, 10, dtype=torch.long)).logits
    assert logits.shape == ours(torch.zeros(2, 10, dtype=torch.long)).shape == (2, 10, 256)


def test_library_gpt2_rejects_other_kinds():
    with pytest.raises(ValueError, match="kind='gpt'"):
        models.library_gpt2(models.ModelConfig(kind="lstm"))
    with pytest.raises(ValueError, match="positions=True"):
        models.library_gpt2(models.ModelConfig(kind="gpt", positions=False))
