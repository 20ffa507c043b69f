"""The three model kinds: shapes, causality, parameter counts, matching, generation, classifier."""

import pytest
import torch

from nbkit import models


def tiny(kind, **kw):
    fields = {"kind": kind, "vocab": 20, "d_model": 16, "n_layers": 2, "n_heads": 2, "context": 12}
    fields.update(kw)
    return models.build_model(**fields)


def test_config_validation():
    with pytest.raises(ValueError, match="kind"):
        models.ModelConfig(kind="mamba")
    with pytest.raises(ValueError, match="d_model must be a positive int"):
        models.ModelConfig(d_model=0)
    with pytest.raises(ValueError, match="divisible by n_heads"):
        models.ModelConfig(d_model=10, n_heads=4)
    models.ModelConfig(kind="lstm", d_model=10, n_heads=4)  # heads only matter for the GPT


@pytest.mark.parametrize("kind", models.KINDS)
def test_shapes_and_causality(kind):
    torch.manual_seed(0)
    model = tiny(kind).eval()
    ids = torch.randint(0, 20, (3, 10))
    logits = model(ids)
    assert logits.shape == (3, 10, 20) and model.context_length == 12
    assert model.hidden(ids).shape == (3, 10, 16)
    changed = ids.clone()
    changed[:, 6] = (changed[:, 6] + 1) % 20
    out = model(changed)
    assert torch.allclose(out[:, :6], logits[:, :6], atol=1e-5)  # the past does not see the future
    assert not torch.allclose(out[:, 6:], logits[:, 6:], atol=1e-5)


def test_gpt_context_limit_and_positions():
    gpt = tiny("gpt")
    with pytest.raises(ValueError, match="exceeds the model's context"):
        gpt(torch.zeros(1, 13, dtype=torch.long))
    blind = tiny("gpt", positions=False)
    assert blind.pos is None
    assert blind(torch.zeros(1, 30, dtype=torch.long)).shape == (1, 30, 20)  # no table, no limit


def test_keep_attention_stores_causal_maps():
    gpt = tiny("gpt").eval()
    attn = gpt.blocks[0].attn
    assert attn.attention is None
    attn.keep_attention = True
    gpt(torch.randint(0, 20, (2, 7)))
    a = attn.attention
    assert a.shape == (2, 2, 7, 7)
    assert torch.allclose(a.sum(-1), torch.ones(2, 2, 7))
    assert (a.triu(1) == 0).all()


def test_rnnlm_rejects_gpt_kind():
    with pytest.raises(ValueError, match="RNNLM needs kind"):
        models.RNNLM(models.ModelConfig(kind="gpt"))


def test_build_model_errors():
    assert isinstance(models.build_model(models.ModelConfig(kind="lstm")), models.RNNLM)
    assert isinstance(models.build_model(kind="gpt", d_model=8, n_heads=2), models.GPT)
    with pytest.raises(ValueError, match="either a ModelConfig"):
        models.build_model(models.ModelConfig(), d_model=8)
    with pytest.raises(TypeError, match="ModelConfig"):
        models.build_model({"kind": "gpt"})


def test_count_parameters_matches_formula():
    for kind in models.KINDS:
        cfg = models.ModelConfig(kind=kind, vocab=30, d_model=24, n_layers=2, n_heads=4, context=16)
        model = models.build_model(cfg)
        assert models.count_parameters(model) == models._estimate_params(cfg)
    gpt = tiny("gpt")
    tables = gpt.tok.weight.numel() + gpt.pos.weight.numel()
    assert models.count_parameters(gpt, embeddings=False) == models.count_parameters(gpt) - tables
    with pytest.raises(TypeError, match="torch.nn.Module"):
        models.count_parameters("gpt")


def test_training_flops():
    assert models.training_flops(1000, 10) == 60_000
    with pytest.raises(ValueError, match="positive"):
        models.training_flops(0, 10)


@pytest.mark.parametrize("kind", models.KINDS)
def test_matched_config_hits_target(kind):
    cfg = models.matched_config(kind, 60_000, vocab=26, context=40)
    n = models.count_parameters(models.build_model(cfg))
    assert abs(n - 60_000) / 60_000 < 0.1
    assert cfg.kind == kind and cfg.context == 40
    with pytest.raises(ValueError, match="target_params"):
        models.matched_config(kind, 10)


def test_generate_extends_prompt():
    model = tiny("lstm", vocab=256)
    text = models.generate(model, "ab", n_new=5, seed=1)
    assert text.startswith("ab") and len(text.encode("utf-8", errors="surrogatepass")) >= 2
    assert models.generate(model, "ab", n_new=5, seed=1) == text  # seeded
    with pytest.raises(ValueError, match="prompt"):
        models.generate(model, "", n_new=5)
    with pytest.raises(ValueError, match="n_new"):
        models.generate(model, "a", n_new=-1)
    with pytest.raises(ValueError, match="temperature"):
        models.generate(model, "a", temperature=0)


@pytest.mark.parametrize("kind", models.KINDS)
def test_sequence_classifier(kind):
    body = tiny(kind)
    clf = models.SequenceClassifier(body, 3)
    ids = torch.randint(0, 20, (4, 9))
    out = clf(ids)
    assert out.shape == (4, 3) and clf.context_length == body.context_length
    assert torch.allclose(out, torch.zeros(4, 3))  # the head starts at zero: no class preferred
    assert clf.body is body  # shares (does not copy) the body
    with pytest.raises(ValueError, match="n_classes"):
        models.SequenceClassifier(body, 1)
    with pytest.raises(TypeError, match="hidden"):
        models.SequenceClassifier(torch.nn.Linear(2, 2), 3)
