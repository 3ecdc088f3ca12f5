"""Semantic dictionary and neuron groups: top-k agrees with torch.topk, NMF recovers known
parts, is deterministic, and group attribution agrees with gradient x activation."""

from __future__ import annotations

import itertools

import pytest
import torch

from generator import interpret as vi
from generator.interpret import InterpretError, LayerNotFound
from generator.interpret.errors import NegativeActivations
from generator.interpret.tiny import tiny_cnn


@pytest.fixture(scope="module")
def model():
    return tiny_cnn().eval()


@pytest.fixture(scope="module")
def image():
    return torch.rand(3, 64, 64, generator=torch.Generator().manual_seed(1))  # (3, H, W)


def activation(model, image, layer):
    with torch.no_grad():
        return vi.run_to_layers(model, image[None], [layer])[layer][0]  # (C, H, W)


class Synthetic(torch.nn.Module):
    """A 'model' whose layer `parts` outputs a known non-negative product maps^T · factors."""

    def __init__(self, maps, factors):
        super().__init__()
        self.register_buffer("activation", torch.einsum("nhw,nc->chw", maps, factors)[None])
        self.parts = torch.nn.Identity()
        self.head = torch.nn.Linear(factors.shape[1], 3)

    def forward(self, x):  # x: (N, 3, H, W), ignored but for its batch size
        a = self.parts(self.activation.expand(x.shape[0], -1, -1, -1) + 0 * x.mean())
        return self.head(a.mean((2, 3)))


def test_semantic_dictionary_is_topk_of_activations(model, image):
    d = vi.semantic_dictionary(model, image, "blocks.0", k=4)
    a = activation(model, image, "blocks.0").permute(1, 2, 0)  # (H, W, C)
    top = a.topk(4, dim=-1)
    assert d.indices.shape == (16, 16, 4) and d.indices.dtype == torch.int64
    assert d.values.dtype == torch.float32 and d.magnitude.shape == (16, 16)
    torch.testing.assert_close(d.values, top.values)
    assert torch.equal(torch.gather(a, -1, d.indices), d.values)
    assert (d.values[..., :-1] >= d.values[..., 1:]).all()
    torch.testing.assert_close(d.magnitude, a.norm(dim=-1))


def test_semantic_dictionary_bad_k(model, image):
    with pytest.raises(InterpretError, match="between 1 and 16"):
        vi.semantic_dictionary(model, image, "blocks.0", k=17)


def test_neuron_groups_shapes_and_invariants(model, image):
    groups = vi.neuron_groups(model, image, "blocks.0", n=4)
    assert groups.maps.shape == (4, 16, 16) and groups.factors.shape == (4, 16)
    assert groups.directions.shape == (4, 16)
    assert all(t.dtype == torch.float32 for t in (groups.maps, groups.factors, groups.directions))
    assert (groups.maps >= 0).all() and (groups.factors >= 0).all()
    torch.testing.assert_close(groups.directions.norm(dim=1), torch.ones(4))
    a = activation(model, image, "blocks.0").flatten(1).T  # (H*W, C)
    product = groups.maps.flatten(1).T @ groups.factors
    error = ((a - product).norm() / a.norm()).item()
    assert abs(error - groups.reconstruction_error) < 1e-4
    peaks = groups.maps.amax(1).argmax(1)  # peak column of each group
    assert (peaks[:-1] <= peaks[1:]).all()


def test_reconstruction_error_decreases_with_n(model, image):
    errors = [vi.neuron_groups(model, image, "blocks.1", n=n).reconstruction_error for n in (1, 3, 6, 12)]
    assert all(a > b for a, b in zip(errors, errors[1:])), errors


def test_neuron_groups_are_deterministic(model, image):
    first = vi.neuron_groups(model, image, "blocks.0", n=5, seed=3)
    second = vi.neuron_groups(model, image, "blocks.0", n=5, seed=3)
    assert torch.equal(first.maps, second.maps) and torch.equal(first.factors, second.factors)


def test_neuron_groups_recover_known_parts():
    g = torch.Generator().manual_seed(0)
    n, channels, size = 3, 12, 10
    factors = torch.zeros(n, channels)
    for i in range(n):  # disjoint channel supports make the factorization unique
        factors[i, 4 * i:4 * i + 4] = torch.rand(4, generator=g) + 0.5
    maps = torch.zeros(n, size, size)
    maps[0, :, :4] = 1.0
    maps[1, 3:7, 3:8] = 2.0
    maps[2, :, 6:] = 1.5
    model = Synthetic(maps, factors).eval()
    groups = vi.neuron_groups(model, torch.zeros(3, size, size), "parts", n=n)
    assert groups.reconstruction_error < 1e-3
    truth = torch.nn.functional.normalize(factors, dim=1)
    for order in itertools.permutations(range(n)):
        if (groups.directions[list(order)] * truth).sum(1).min() > 0.999:
            break
    else:
        pytest.fail(f"no permutation of {groups.directions} matches {truth}")
    recovered = groups.maps[list(order)] * groups.factors[list(order)].norm(dim=1)[:, None, None]
    expected = maps * factors.norm(dim=1)[:, None, None]
    torch.testing.assert_close(recovered, expected, atol=1e-2, rtol=1e-2)


def test_negative_activations_need_a_relu_layer_or_split(model, image):
    with pytest.raises(NegativeActivations, match="pick a layer after a ReLU, or pass nonneg='split'"):
        vi.neuron_groups(model, image, "blocks.0.conv", n=3)
    groups = vi.neuron_groups(model, image, "blocks.0.conv", n=6, nonneg="split")
    a = activation(model, image, "blocks.0.conv").flatten(1).T  # (H*W, C), signed
    assert groups.factors.shape == (6, 16) and (groups.factors < 0).any()
    signed_error = (a - groups.maps.flatten(1).T @ groups.factors).norm() / a.norm()
    assert abs(signed_error - groups.reconstruction_error) < 1e-4
    assert signed_error < vi.neuron_groups(model, image, "blocks.0.conv", n=2, nonneg="split").reconstruction_error


def test_group_attribution_to_classes(model, image):
    groups = vi.neuron_groups(model, image, "blocks.0", n=4)
    attribution = groups.attribution_to_classes([2, (2, 5)])
    assert attribution.shape == (4, 2) and attribution.dtype == torch.float32
    # by hand: gradient of each score at the layer, dotted with the reconstructed activation
    captured = {}
    handle = vi.get_layer(model, "blocks.0").register_forward_hook(
        lambda _m, _i, out: captured.setdefault("a", out.detach().requires_grad_(True))
    )
    try:
        logits = model(image[None])[0]
    finally:
        handle.remove()
    for column, score in enumerate([logits[2], logits[2] - logits[5]]):
        (grad,) = torch.autograd.grad(score, captured["a"], retain_graph=True)
        per_group = torch.einsum("nhw,nc,chw->n", groups.maps, groups.factors, grad[0])
        torch.testing.assert_close(attribution[:, column], per_group, atol=1e-6, rtol=1e-4)


def test_group_attribution_between_layers(model, image):
    early = vi.neuron_groups(model, image, "stem", n=3)
    late = vi.neuron_groups(model, image, "blocks.1", n=2)
    attribution = early.attribution_to_groups(late)
    assert attribution.shape == (3, 2)
    captured = {}
    handle = vi.get_layer(model, "stem").register_forward_hook(
        lambda _m, _i, out: captured.setdefault("a", out.detach().requires_grad_(True))
    )
    try:
        later = vi.run_to_layers(model, image[None], ["blocks.1"])["blocks.1"][0]  # (C2, H2, W2)
    finally:
        handle.remove()
    for j in range(2):
        score = torch.einsum("hw,c,chw->", late.maps[j], late.factors[j], later)
        (grad,) = torch.autograd.grad(score, captured["a"], retain_graph=True)
        expected = torch.einsum("nhw,nc,chw->n", early.maps, early.factors, grad[0])
        torch.testing.assert_close(attribution[:, j], expected, atol=1e-6, rtol=1e-4)
    with pytest.raises(InterpretError, match="same model and image"):
        early.attribution_to_groups(vi.neuron_groups(model, image.flip(2), "blocks.1", n=2))


def test_bad_inputs(model, image):
    with pytest.raises(LayerNotFound):
        vi.neuron_groups(model, image, "blocks.7")
    with pytest.raises(LayerNotFound):
        vi.semantic_dictionary(model, image, "stemm")
    with pytest.raises(InterpretError, match="between 1 and 16"):
        vi.neuron_groups(model, image, "blocks.0", n=0)
    groups = vi.neuron_groups(model, image, "blocks.0", n=2)
    with pytest.raises(InterpretError, match="the model has 10 classes"):
        groups.attribution_to_classes([10])
    train = tiny_cnn().train()
    for call in [lambda: vi.semantic_dictionary(train, image, "stem"), lambda: vi.neuron_groups(train, image, "stem")]:
        with pytest.raises(InterpretError, match="train mode"):
            call()


# --- the real model ------------------------------------------------------------------------------

@pytest.mark.slow
def test_efficientnet_groups_and_dictionary():
    model = vi.load_model("efficientnet_lite0")
    image = vi.load_image("sample:chelsea", 224)
    d = vi.semantic_dictionary(model, image, "blocks.10.expand", k=4)
    assert d.indices.shape == (14, 22, 4) and (d.values[..., 0] > 0).all()   # chelsea whole
    with pytest.raises(InterpretError, match="pick a layer after a ReLU"):
        vi.neuron_groups(model, image, "blocks.10", n=6)  # a projection: linear, signed
    groups = vi.neuron_groups(model, image, "blocks.10.expand", n=6)
    assert groups.maps.shape == (6, 14, 22) and groups.factors.shape == (6, 672)
    assert groups.reconstruction_error < vi.neuron_groups(model, image, "blocks.10.expand", n=2).reconstruction_error
    attribution = groups.attribution_to_classes([285, 282, (285, 282)])
    torch.testing.assert_close(attribution[:, 2], attribution[:, 0] - attribution[:, 1], atol=1e-4, rtol=1e-4)
    between = groups.attribution_to_groups(vi.neuron_groups(model, image, "blocks.14.expand", n=4))
    assert between.shape == (6, 4) and torch.isfinite(between).all()
