"""Attribution agrees with Captum, layer-to-layer agrees with single backward passes, and bad
inputs give errors that say what to fix. Captum is a test dependency only."""

from __future__ import annotations

import pytest
import torch

from generator import interpret as vi
from generator.interpret import InterpretError, LayerNotFound
from generator.interpret.errors import ClassOutOfRange
from generator.interpret.tiny import tiny_cnn

captum_attr = pytest.importorskip("captum.attr")

LAYERS = ["stem", "blocks.0", "blocks.1"]


@pytest.fixture(scope="module")
def model():
    return tiny_cnn().eval()


@pytest.fixture(scope="module")
def image():
    return torch.rand(3, 64, 64, generator=torch.Generator().manual_seed(1))  # (3, H, W)


class Difference(torch.nn.Module):
    """logit a - logit b as a one-output model, so Captum can attribute a pair of classes."""

    def __init__(self, model, a, b):
        super().__init__()
        self.model, self.a, self.b = model, a, b

    def forward(self, x):
        logits = self.model(x)
        return (logits[:, self.a] - logits[:, self.b]).unsqueeze(1)  # (N, 1)


def captum_grad_x_act(model, image, layer, target):
    """Captum's LayerGradientXActivation on the layer's output, (C, H, W)."""
    module = vi.get_layer(model, layer)
    if isinstance(target, tuple):
        model, target = Difference(model, *target), 0
    method = captum_attr.LayerGradientXActivation(model, module)
    return method.attribute(image[None], target=target)[0].detach()


def captum_integrated(model, image, layer, target, steps):
    """Captum's integrated gradients of the layer's output from a zero baseline, (C, H, W).

    Captum's LayerIntegratedGradients interpolates between the layer's activations for a
    baseline *image* and for the image; Building Blocks interpolates from zero activations.
    So the layer's output is made the input: an Identity module placed after the layer, whose
    input is the activation we feed in, and LayerIntegratedGradients runs on that module."""
    activation = vi.run_to_layers(model, image[None], [layer])[layer].detach()  # (1, C, H, W)
    layer_module = vi.get_layer(model, layer)
    if isinstance(target, tuple):
        model, target = Difference(model, *target), 0
    gate = torch.nn.Identity()

    def forward(z):
        handle = layer_module.register_forward_hook(lambda _m, _i, _o: gate(z))
        try:
            return model(image[None].expand(z.shape[0], -1, -1, -1))
        finally:
            handle.remove()

    method = captum_attr.LayerIntegratedGradients(forward, gate)
    attribution = method.attribute(
        activation, baselines=torch.zeros_like(activation), target=target, n_steps=steps,
        method="riemann_middle", attribute_to_layer_input=False,
    )
    return attribution[0].detach()


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("target", [3, (3, 7)])
def test_spatial_and_channel_attribution_match_captum(model, image, layer, target):
    reference = captum_grad_x_act(model, image, layer, target)  # (C, H, W)
    spatial = vi.spatial_attribution(model, image, layer, target)
    channel = vi.channel_attribution(model, image, layer, target)
    assert spatial.shape == reference.shape[1:] and spatial.dtype == torch.float32
    assert channel.shape == reference.shape[:1] and channel.dtype == torch.float32
    scale = reference.abs().sum()
    torch.testing.assert_close(spatial, reference.sum(0), atol=1e-6 * scale, rtol=1e-5)
    torch.testing.assert_close(channel, reference.sum((1, 2)), atol=1e-6 * scale, rtol=1e-5)


@pytest.mark.parametrize("layer", ["stem", "blocks.1"])
@pytest.mark.parametrize("target", [5, (2, 9)])
def test_path_integrated_channel_attribution_matches_captum(model, image, layer, target):
    reference = captum_integrated(model, image, layer, target, steps=20)
    ours = vi.channel_attribution(model, image, layer, target, steps=20)
    torch.testing.assert_close(ours, reference.sum((1, 2)), atol=1e-6 * reference.abs().sum(), rtol=1e-5)


@pytest.mark.parametrize("target", [5, (2, 9)])
def test_path_integrated_spatial_attribution_matches_captum(model, image, target):
    reference = captum_integrated(model, image, "blocks.1", target, steps=20)
    ours = vi.spatial_attribution(model, image, "blocks.1", target, steps=20)
    torch.testing.assert_close(ours, reference.sum(0), atol=1e-6 * reference.abs().sum(), rtol=1e-5)
    _, maps = vi.class_attribution_maps(model, image, "blocks.1", [target], steps=20)
    torch.testing.assert_close(maps[0], ours)


def test_path_integrated_attribution_is_complete(model, image):
    """Integrated gradients sum to score(activation) - score(zero activation)."""
    layer, (a, b) = "blocks.0", (3, 4)
    total = vi.channel_attribution(model, image, layer, (a, b), steps=200).sum()
    with torch.no_grad():
        logits = model(image[None])[0]
        handle = vi.get_layer(model, layer).register_forward_hook(lambda _m, _i, out: torch.zeros_like(out))
        try:
            zeroed = model(image[None])[0]
        finally:
            handle.remove()
    expected = (logits[a] - logits[b]) - (zeroed[a] - zeroed[b])
    assert abs(total - expected) < 1e-3 * abs(expected)


def test_layer_attribution_matches_single_backward_passes(model, image):
    maps = vi.layer_attribution(model, image, "stem", "blocks.1")
    assert maps.shape == (8, 8, 32, 32) and maps.dtype == torch.float32
    x = image[None].clone()
    for h, w in [(0, 0), (3, 5), (7, 7)]:
        captured = {}
        stem = vi.get_layer(model, "stem").register_forward_hook(
            lambda _m, _i, out: captured.setdefault("stem", out.detach().requires_grad_(True))
        )
        try:
            later = vi.run_to_layers(model, x, ["blocks.1"])["blocks.1"]
        finally:
            stem.remove()
        (grad,) = torch.autograd.grad(later[0, :, h, w].norm(), captured["stem"])
        expected = (grad * captured["stem"]).sum(1)[0].detach()  # (H1, W1)
        torch.testing.assert_close(maps[h, w], expected, atol=1e-6 * expected.abs().max(), rtol=1e-5)


def test_class_attribution_maps_match_spatial_attribution(model, image):
    classes, maps = vi.class_attribution_maps(model, image, "blocks.0", top=3)
    with torch.no_grad():
        assert classes.tolist() == model(image[None])[0].topk(3).indices.tolist()
    for c, m in zip(classes.tolist(), maps):
        torch.testing.assert_close(m, vi.spatial_attribution(model, image, "blocks.0", c))


def test_no_gradient_or_state_leaks(model, image):
    flags = [p.requires_grad for p in model.parameters()]
    vi.spatial_attribution(model, image, "blocks.0", 1)
    vi.channel_attribution(model, image, "blocks.0", 1, steps=4)
    vi.layer_attribution(model, image, "stem", "blocks.0")
    assert all(p.grad is None for p in model.parameters())
    assert [p.requires_grad for p in model.parameters()] == flags
    assert not image.requires_grad
    assert all(not m._forward_hooks for m in model.modules())
    with torch.no_grad():  # works inside a no_grad block too
        assert vi.spatial_attribution(model, image, "blocks.0", 1).abs().sum() > 0


def test_unknown_layer(model, image):
    with pytest.raises(LayerNotFound, match="did you mean 'blocks.0'"):
        vi.spatial_attribution(model, image, "block.0", 1)
    with pytest.raises(LayerNotFound):
        vi.layer_attribution(model, image, "stem", "blocks.9")


@pytest.mark.parametrize("target", [10, -1, (1, 10)])
def test_class_out_of_range_names_the_number_of_classes(model, image, target):
    with pytest.raises(ClassOutOfRange, match="the model has 10 classes"):
        vi.spatial_attribution(model, image, "blocks.0", target)
    with pytest.raises(InterpretError, match="10 classes"):
        vi.channel_attribution(model, image, "blocks.0", target, steps=3)


def test_train_mode_is_refused(image):
    model = tiny_cnn().train()
    for call in [
        lambda: vi.spatial_attribution(model, image, "stem", 0),
        lambda: vi.channel_attribution(model, image, "stem", 0),
        lambda: vi.layer_attribution(model, image, "stem", "blocks.0"),
    ]:
        with pytest.raises(InterpretError, match=r"train mode — call model.eval\(\)"):
            call()


def test_bad_images_and_layer_order(model, image):
    with pytest.raises(InterpretError, match=r"\[3, H, W\]"):
        vi.spatial_attribution(model, image[0], "stem", 0)
    with pytest.raises(InterpretError, match=r"in \[0, 1\]"):
        vi.spatial_attribution(model, image * 255, "stem", 0)
    with pytest.raises(InterpretError, match="must come after"):
        vi.layer_attribution(model, image, "blocks.1", "stem")
    with pytest.raises(InterpretError, match="pick a convolutional layer"):
        vi.spatial_attribution(model, image, "classifier", 0)
    with pytest.raises(InterpretError, match="steps"):
        vi.channel_attribution(model, image, "stem", 0, steps=0)


def test_nan_in_results_is_an_error(image):
    model = tiny_cnn().eval()
    with torch.no_grad():
        model.classifier.weight[0, 0] = float("nan")
    with pytest.raises(InterpretError, match="NaN"):
        vi.spatial_attribution(model, image, "blocks.1", 0)


class Branches(torch.nn.Module):
    """Two branches concatenated: a batch made after one branch cannot meet the other."""

    def __init__(self):
        super().__init__()
        self.trunk = tiny_cnn().stem
        self.left = torch.nn.Sequential(torch.nn.Conv2d(8, 4, 3, padding=1), torch.nn.ReLU())
        self.right = torch.nn.Sequential(torch.nn.Conv2d(8, 4, 1), torch.nn.ReLU())
        self.mix = torch.nn.Sequential(torch.nn.Conv2d(8, 6, 3, padding=1), torch.nn.ReLU())
        self.classifier = torch.nn.Linear(6, 5)

    def forward(self, x):  # (N, 3, H, W)
        t = self.trunk(x)
        h = self.mix(torch.cat([self.left(t), self.right(t)], 1))  # (N, 6, H/2, W/2)
        return self.classifier(h.mean((2, 3)))


def test_branch_layers_fall_back_to_replicating_the_input(image):
    torch.manual_seed(0)
    model = Branches().eval()
    classes, maps = vi.class_attribution_maps(model, image, "left", classes=[0, 1, (2, 3)])
    for c, m in zip([0, 1, (2, 3)], maps):
        expected = captum_grad_x_act(model, image, "left", c).sum(0)
        torch.testing.assert_close(m, expected, atol=1e-6 * expected.abs().sum(), rtol=1e-5)
    ours = vi.channel_attribution(model, image, "left", 4, steps=8)
    expected = captum_integrated(model, image, "left", 4, steps=8).sum((1, 2))
    torch.testing.assert_close(ours, expected, atol=1e-6 * expected.abs().sum(), rtol=1e-5)
    layered = vi.layer_attribution(model, image, "left", "mix")
    assert layered.shape == (32, 32, 32, 32)


# --- the real model ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def efficientnet():
    return vi.load_model("efficientnet_lite0"), vi.load_image("sample:chelsea", 224)


@pytest.mark.slow
def test_efficientnet_cat_versus_tiger_cat_matches_captum(efficientnet):
    model, image = efficientnet
    target, layer = (285, 282), "blocks.10"  # Egyptian cat versus tiger cat
    reference = captum_grad_x_act(model, image, layer, target)  # (112, 14, 22)
    scale = reference.abs().sum()
    spatial = vi.spatial_attribution(model, image, layer, target)
    torch.testing.assert_close(spatial, reference.sum(0), atol=1e-5 * scale, rtol=1e-4)
    channel = vi.channel_attribution(model, image, layer, target)
    torch.testing.assert_close(channel, reference.sum((1, 2)), atol=1e-5 * scale, rtol=1e-4)
    integrated = captum_integrated(model, image, layer, target, steps=16).sum((1, 2))
    ours = vi.channel_attribution(model, image, layer, target, steps=16)
    torch.testing.assert_close(ours, integrated, atol=1e-5 * integrated.abs().sum(), rtol=1e-4)


@pytest.mark.slow
def test_efficientnet_layer_to_layer_matches_single_backward_passes(efficientnet):
    model, image = efficientnet
    maps = vi.layer_attribution(model, image, "blocks.10", "blocks.14")
    assert maps.shape == (7, 11, 14, 22)     # chelsea whole: 337x224 px
    for h, w in [(0, 6), (3, 3)]:
        captured = {}
        handle = vi.get_layer(model, "blocks.10").register_forward_hook(
            lambda _m, _i, out: captured.setdefault("a", out.detach().requires_grad_(True))
        )
        try:
            later = vi.run_to_layers(model, image[None], ["blocks.14"])["blocks.14"]
        finally:
            handle.remove()
        (grad,) = torch.autograd.grad(later[0, :, h, w].norm(), captured["a"])
        expected = (grad * captured["a"]).sum(1)[0].detach()
        torch.testing.assert_close(maps[h, w], expected, atol=1e-5 * expected.abs().max(), rtol=1e-4)
