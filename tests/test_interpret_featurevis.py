"""Feature visualization on the tiny model: objectives rise, images are well formed and
reproducible, the expression syntax reads and rejects what users write."""

import numpy as np
import pytest
import torch

from generator import interpret as vi
from generator.interpret.fold import folded
from generator.interpret.tiny import tiny_cnn

LAYER = "blocks.1"  # (N, 24, 8, 8) for a 64 px input
TINY = vi.QUALITY["tiny"]


@pytest.fixture(scope="module")
def model():
    return tiny_cnn().eval()


def live_channels(model, n=3):
    """Channels of LAYER that respond to a grey-ish image (a ReLU channel at 0 has no gradient)."""
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    acts = vi.run_to_layers(model, x, [LAYER])[LAYER][0].mean((1, 2))
    return acts.argsort(descending=True)[:n].tolist()


# --- objectives ----------------------------------------------------------------------


def test_algebra_descriptions():
    a, b, c = (vi.channel("blocks.10", i) for i in (7, 9, 3))
    assert str(a - 0.5 * b) == "channel(blocks.10, 7) - 0.5 * channel(blocks.10, 9)"
    assert str(-a + 2 * (b - c)) == "-channel(blocks.10, 7) + 2 * (channel(blocks.10, 9) - channel(blocks.10, 3))"
    assert str(a - (b + c)) == "channel(blocks.10, 7) - (channel(blocks.10, 9) + channel(blocks.10, 3))"
    assert str(sum([a, b])) == "channel(blocks.10, 7) + channel(blocks.10, 9)"
    assert str(vi.channel("blocks.10", 7, batch=0)) == "channel(blocks.10, 7, batch=0)"
    assert str(vi.neuron("stem", 2, 3, 4)) == "neuron(stem, 2, 3, 4)"
    assert str(-1e-3 * vi.total_variation()) == "-0.001 * total_variation()"
    assert str(vi.direction("stem", [1, 0], cossim_pow=2)) == "direction(stem, [1, 0], cossim_pow=2)"
    assert (a + b).layers == {"blocks.10"} and vi.class_logit(3).layers == {""}


def test_objectives_reject_bad_operands():
    with pytest.raises(vi.InterpretError, match="objectives multiply only by numbers"):
        vi.channel("stem", 0) * vi.channel("stem", 1)
    with pytest.raises(vi.InterpretError, match="both sides must be objectives"):
        vi.channel("stem", 0) + 1


@pytest.mark.parametrize(
    "make",
    [
        lambda c: vi.channel(LAYER, c),
        lambda c: vi.neuron(LAYER, c),
        lambda c: vi.direction(LAYER, torch.eye(24)[c] + 0.1, cossim_pow=2),
        lambda c: vi.deepdream(LAYER),
        lambda c: vi.class_logit(c % 10),
    ],
    ids=["channel", "neuron", "direction", "deepdream", "class_logit"],
)
def test_a_few_steps_raise_the_objective(model, make):
    objs = [make(c) for c in live_channels(model, 2)]
    images = vi.feature_vis(model, objs, quality=TINY, steps=12, lr=0.1, seed=3)
    start = vi.feature_vis(model, objs, quality=TINY, steps=1, lr=1e-6, seed=3)
    after = vi.objective_values(model, objs, images)
    before = vi.objective_values(model, objs, start)
    assert (after > before).all(), (before, after)


def test_regularizers_lower_their_penalty(model):
    for obj in (-1.0 * vi.total_variation() - vi.L1(0.5) - vi.blur_input_each_step(), -vi.saturation(2.0)):
        noisy = vi.feature_vis(model, [obj], quality=TINY, param=vi.ParamRecipe("pixel", sd=6.0), steps=1, lr=1e-6)
        smooth = vi.feature_vis(model, [obj], quality=TINY, param=vi.ParamRecipe("pixel", sd=6.0), steps=20, lr=0.2)
        assert vi.objective_values(model, [obj], smooth) > vi.objective_values(model, [obj], noisy), obj


def test_batch_index_only_affects_its_image(model):
    c = live_channels(model, 1)[0]
    alone = vi.feature_vis(model, vi.channel(LAYER, c, batch=1), quality=TINY, transforms=None)
    untouched = vi.feature_vis(model, vi.channel(LAYER, c, batch=1), quality=TINY, steps=1, lr=1e-9, transforms=None)
    assert alone.shape[0] == 2  # batch=1 implies two images
    np.testing.assert_array_equal(alone[0], untouched[0])
    assert not np.array_equal(alone[1], untouched[1])


def test_diversity_and_alignment_values(model):
    x = torch.rand(3, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    ctx = vi.Context(vi.run_to_layers(model, x, [LAYER]), x)
    same = vi.Context({LAYER: ctx.acts[LAYER][:1].expand(3, -1, -1, -1)}, x)
    assert vi.diversity(LAYER)(same).sum().item() == pytest.approx(2.0, abs=1e-5)  # 3*2 pairs of 1, / 3
    assert vi.alignment(LAYER)(same).abs().sum().item() == 0
    assert (vi.alignment(LAYER)(ctx) <= 0).all()


# --- rendering -----------------------------------------------------------------------


def test_images_have_shape_dtype_and_history(model):
    objs = [vi.channel(LAYER, c) for c in range(3)]
    images, history = vi.feature_vis(model, objs, quality=TINY, size=24, steps=5, batch_size=2, return_history=True)
    assert images.shape == (3, 24, 24, 3) and images.dtype == np.uint8
    assert history.shape == (5, 3) and history.dtype == np.float32
    assert 0 < images.std()


def test_same_seed_same_bytes_other_seed_differs(model):
    objs = [vi.channel(LAYER, c) for c in live_channels(model, 2)]
    a = vi.feature_vis(model, objs, quality=TINY, seed=5)
    b = vi.feature_vis(model, objs, quality=TINY, seed=5)
    c = vi.feature_vis(model, objs, quality=TINY, seed=6)
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()


def test_nan_is_an_error_naming_step_and_objective(model):
    bad = vi.Objective(lambda ctx: ctx.image.flatten(1).mean(1) * float("nan"), "broken()")
    with pytest.raises(vi.InterpretError, match=r"NaN or infinite at step 0 for image 0 \('broken\(\)'\)"):
        vi.feature_vis(model, [bad], quality=TINY)


def test_train_mode_is_refused():
    with pytest.raises(vi.ModelError, match="model is in train mode — call model.eval()"):
        vi.feature_vis(tiny_cnn().train(), [vi.channel(LAYER, 0)], quality=TINY)


def test_model_weights_stay_as_they_were(model):
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    vi.feature_vis(model, [vi.channel(LAYER, 0)], quality=TINY, steps=2)
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())
    assert all(p.requires_grad for p in model.parameters())


def test_thread_setting_is_restored(model):
    before = torch.get_num_threads()
    vi.feature_vis(model, [vi.channel(LAYER, 0)], quality=TINY, steps=1, threads=1)
    assert torch.get_num_threads() == before


def test_list_objectives_may_not_name_a_batch(model):
    with pytest.raises(vi.InterpretError, match="objective 0 'channel\\(blocks.1, 0, batch=1\\)' names batch=1"):
        vi.feature_vis(model, [vi.channel(LAYER, 0, batch=1)], quality=TINY)


def test_folding_keeps_activations():
    class ConvBN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3)
            self.bn = torch.nn.BatchNorm2d(4)
            with torch.no_grad():
                self.bn.running_mean.uniform_(-1, 1), self.bn.running_var.uniform_(0.5, 2)
                self.bn.weight.uniform_(0.5, 2), self.bn.bias.uniform_(-1, 1)

        def forward(self, x):
            return self.bn(self.conv(x))

    m = ConvBN().eval()
    f = folded(m, ["bn"])
    assert f is not m and isinstance(f.bn, torch.nn.Identity) and isinstance(m.bn, torch.nn.BatchNorm2d)
    x = torch.rand(2, 3, 16, 16)
    torch.testing.assert_close(f(x), m(x), rtol=1e-4, atol=1e-5)
    assert folded(m, ["conv"]) is m  # the conv's own output is read: nothing to fold


# --- parameterizations and transforms ------------------------------------------------


@pytest.mark.parametrize("make", [vi.fft_image, vi.pixel_image, vi.lowres_image])
def test_params_make_seeded_images_in_range(make):
    image = make((2, 3, 20, 18), sd=0.5, seed=1)()
    assert image.shape == (2, 3, 20, 18) and 0 <= image.min() and image.max() <= 1
    assert torch.equal(image, make((2, 3, 20, 18), sd=0.5, seed=1)())
    assert not torch.equal(image, make((2, 3, 20, 18), sd=0.5, seed=2)())


def test_param_rejects_bad_shape_and_kind():
    with pytest.raises(vi.InterpretError, match=r"image shape \(3, 20, 20\) is not \(N, 3, H, W\)"):
        vi.fft_image((3, 20, 20))
    with pytest.raises(vi.InterpretError, match="unknown parameterization 'fourier' — expected one of fft, pixel, lowres"):
        vi.ParamRecipe("fourier")


def test_transforms_sizes_and_seeding():
    x = torch.rand(3, 3, 32, 32)
    gen = lambda s: torch.Generator().manual_seed(s)  # noqa: E731
    t = vi.standard_transforms()
    assert t(x, gen(0)).shape == (3, 3, 32 + 24 - 12, 32 + 24 - 12)
    assert torch.equal(t(x, gen(0)), t(x, gen(0)))
    assert not torch.equal(t(x, gen(0)), t(x, gen(1)))
    assert vi.same_size_transforms()(x, gen(0)).shape == x.shape
    for keep in (vi.random_rotate([-10, 10]), vi.random_scale([0.9, 1.1])):
        assert keep(x, gen(0)).shape == x.shape


def test_pad_and_jitter_are_exact_shifts():
    x = torch.rand(1, 3, 8, 8)
    padded = vi.pad(2, 0.25)(x, torch.Generator())
    torch.testing.assert_close(padded[:, :, 2:10, 2:10], x)
    assert (padded[:, :, :2] == 0.25).all()
    crop = vi.jitter(3)(x, torch.Generator().manual_seed(0))
    assert crop.shape == (1, 3, 5, 5)
    assert any(torch.allclose(crop, x[:, :, i : i + 5, j : j + 5]) for i in range(4) for j in range(4))


# --- expression syntax ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("channel(5) - channel(9)", "channel(blocks.10, 5) - channel(blocks.10, 9)"),
        ('channel("blocks.3", 5) + 2*neuron(7, 1, 2)', "channel(blocks.3, 5) + 2 * neuron(blocks.10, 7, 1, 2)"),
        ("-(channel(1) - 0.5 * channel(2))", "-(channel(blocks.10, 1) - 0.5 * channel(blocks.10, 2))"),
        ("direction([1, -2.5, 0])", "direction(blocks.10, [1, -2.5, 0])"),
        ("class_logit(285) + deepdream('stem')", "class_logit(285) + deepdream(stem)"),
        ("channel(1) * 3 * 2", "6 * channel(blocks.10, 1)"),
    ],
)
def test_parse_valid(text, expected):
    assert str(vi.parse_objective(text, layer="blocks.10")) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("channel(5) -", 'cannot read objective "channel(5) -" at column 13: expected a number, a function or \'(\', found end of input'),
        ("chanel(5)", "cannot read objective \"chanel(5)\" at column 1: expected one of channel, neuron, direction, class_logit, deepdream, found 'chanel' — did you mean 'channel'?"),
        ("channel(5.5)", "cannot read objective \"channel(5.5)\" at column 9: expected a channel number, found '5.5'"),
        ("channel(1) + 2", 'cannot read objective "channel(1) + 2" at column 14: expected an objective on both sides of \'+\', found a number'),
        ("channel(1) % 2", "cannot read objective \"channel(1) % 2\" at column 12: expected a number, a function or an operator, found '%'"),
        ("channel(1", "cannot read objective \"channel(1\" at column 10: expected ',', found end of input"),
        ("3", 'cannot read objective "3" at column 1: expected an objective such as channel(5), not only numbers, found a number'),
    ],
)
def test_parse_invalid(text, message):
    with pytest.raises(vi.ObjectiveSyntaxError) as err:
        vi.parse_objective(text, layer="blocks.10")
    assert str(err.value) == message


def test_parse_needs_a_layer_when_no_default():
    with pytest.raises(vi.InterpretError, match=r'expected a layer name first, as channel\("blocks.10", ...\)'):
        vi.parse_objective("channel(5)")


def test_quality_profiles_print_stably_for_cache_keys():
    for name, q in vi.QUALITY.items():
        assert q.name == name and "0x" not in repr(q)  # no object addresses in a cache key
    assert vi.QUALITY["tiny"].size < vi.QUALITY["draft"].size <= vi.QUALITY["final"].size


def test_parameter_average_changes_the_shown_image(model):
    from dataclasses import replace

    objs = [vi.channel(LAYER, c) for c in live_channels(model, 2)]
    plain = vi.feature_vis(model, objs, quality=TINY)
    averaged = vi.feature_vis(model, objs, quality=replace(TINY, average=0.5))
    assert averaged.shape == plain.shape and not np.array_equal(averaged, plain)


def test_the_api_renders_on_every_core_unless_a_thread_count_is_pinned():
    model = vi.load_model("tiny")
    objectives = [vi.channel("blocks.1", 0), vi.channel("blocks.1", 1)]
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        seen = []
        vi.feature_vis(model, objectives, size=32, steps=2, progress=lambda done, total: seen.append(torch.get_num_threads()))
        assert set(seen) == {2}                                # a notebook's default: every core torch has
        pinned = []
        one = vi.feature_vis(model, objectives, size=32, steps=3, seed=4, threads=1,
                             progress=lambda done, total: pinned.append(torch.get_num_threads()))
        assert set(pinned) == {1} and torch.get_num_threads() == 2   # restored afterwards
        assert np.array_equal(one, vi.feature_vis(model, objectives, size=32, steps=3, seed=4, threads=1))
    finally:
        torch.set_num_threads(before)


def test_a_build_job_renders_with_its_runtime_thread_count(monkeypatch):
    from generator.figures import icons
    from generator.figures.model_cards import ModelCards
    from generator.pipeline.executors import execute
    from generator.pipeline.runtime import Runtime

    [job] = icons.icon_jobs(ModelCards(None).get("tiny"), "blocks.1", [0], "tiny")
    seen = []
    real = vi.feature_vis
    monkeypatch.setattr(vi, "feature_vis", lambda *a, **k: seen.append(k.get("threads")) or real(*a, **k))
    assert execute(job)["icons.png"] == execute(job, Runtime(threads=1))["icons.png"]
    assert seen == [1, 1]


def test_many_lists_render_together_as_each_renders_alone(model):
    """`feature_vis_many` keeps each list's batches, seeds and transform draws: its images are
    those of `feature_vis` on each list (stacked into one optimization, or in smaller groups)."""
    first = [vi.channel(LAYER, c) for c in range(5)]
    second = [vi.channel("blocks.0", c) for c in range(3)] + [vi.channel(LAYER, 7)]
    alone = [vi.feature_vis(model, first, seed=3, quality=TINY, threads=1),
             vi.feature_vis(model, second, seed=0, quality=TINY, threads=1)]
    for most in (512, 4):
        together = vi.feature_vis_many(model, [first, second], [3, 0], quality=TINY, threads=1, most=most)
        for a, b in zip(together, alone, strict=True):
            assert a.shape == b.shape and np.abs(a.astype(int) - b).max() <= 1
    copies = [[vi.channel(LAYER, 1)] * 3] * 2             # the same unit in two lists: diversity within each alone
    diverse = [vi.feature_vis(model, objs, seed=s, quality=TINY, diversity=0.5, batch_size=3, threads=1)
               for objs, s in zip(copies, (4, 9))]
    both = vi.feature_vis_many(model, copies, [4, 9], quality=TINY, diversity=0.5, batch_size=3, threads=1)
    for a, b in zip(both, diverse, strict=True):
        assert np.abs(a.astype(int) - b).max() <= 1
    swapped = vi.feature_vis_many(model, [first, second], [0, 3], quality=TINY, threads=1)
    assert np.abs(swapped[0].astype(int) - alone[0]).mean() > 5          # the seed is each list's own
    with pytest.raises(vi.InterpretError, match="seeds"):
        vi.feature_vis_many(model, [first, second], [0], quality=TINY)


def test_parts_of_a_batch_start_and_move_as_each_alone():
    """A batch built from (images, seed) parts starts as each part would alone, and a
    transform drawn part by part (one resampling for all) moves each part as alone."""
    from generator.interpret.transforms import by_parts

    recipe = vi.ParamRecipe()
    whole = recipe.build((5, 3, 16, 16), seed=[(2, 0), (3, 7)])()
    alone = torch.cat([recipe.build((2, 3, 16, 16), seed=0)(), recipe.build((3, 3, 16, 16), seed=7)()])
    assert torch.equal(whole, alone)
    with pytest.raises(vi.InterpretError, match="add up"):
        recipe.build((4, 3, 16, 16), seed=[(2, 0), (3, 7)])
    x = torch.rand(5, 3, 24, 24, generator=torch.Generator().manual_seed(2))
    gen = lambda seed: torch.Generator().manual_seed(seed)        # noqa: E731
    for transform in (vi.standard_transforms(), vi.compose([vi.jitter(4), lambda t, g: t.flip(-1)])):
        together = by_parts(transform, x, [(2, gen(1)), (3, gen(2))])
        assert torch.equal(together, torch.cat([transform(x[:2], gen(1)), transform(x[2:], gen(2))]))
    assert not torch.equal(by_parts(vi.standard_transforms(), x, [(2, gen(1)), (3, gen(1))]),
                           by_parts(vi.standard_transforms(), x, [(2, gen(1)), (3, gen(2))]))


def test_channel_and_direction_values_together_equal_each_alone():
    from generator.interpret.objectives import values_together

    acts = torch.randn(6, 24, 8, 8, generator=torch.Generator().manual_seed(5))
    ctx = vi.Context({LAYER: acts, "blocks.0": acts[:, :8] * 2}, torch.rand(6, 3, 16, 16))
    vectors = torch.randn(3, 24, generator=torch.Generator().manual_seed(6))
    objectives = [vi.channel(LAYER, 3), vi.direction(LAYER, vectors[0], cossim_pow=2), vi.channel("blocks.0", 7),
                  vi.direction(LAYER, vectors[1]), vi.channel(LAYER, 23), vi.direction(LAYER, vectors[2], cossim_pow=2)]
    alone = torch.cat([o(ctx.select(i)) for i, o in enumerate(objectives)])
    assert torch.allclose(values_together(objectives, ctx), alone, rtol=1e-5, atol=1e-6)
    assert values_together([*objectives[:5], 2 * vi.channel(LAYER, 1)], ctx) is None     # not of one kind
    with pytest.raises(vi.ChannelOutOfRange):
        values_together([vi.channel(LAYER, 24)] * 6, ctx)


def test_bfloat16_forward_renders_and_speed_settings_restore(model):
    """`speed(bfloat16=True)` autocasts the model's forward pass: the render still climbs its
    objective, in other bytes than float32's; the settings are restored after, and an
    unknown one is refused."""
    from generator.interpret.render import SPEED, speed

    objs = [vi.channel(LAYER, c) for c in live_channels(model, 3)]
    plain, plain_history = vi.feature_vis(model, objs, quality=TINY, steps=24, return_history=True)
    with speed(bfloat16=True):
        half, history = vi.feature_vis(model, objs, quality=TINY, steps=24, return_history=True)
    assert SPEED.bfloat16 is False and SPEED.channels_last is None
    assert history.dtype == np.float32 and np.isfinite(history).all()
    assert (history[-1] > history[0]).all()
    assert half.tobytes() != plain.tobytes()
    assert np.median(history[-1] / plain_history[-1]) > 0.8
    assert vi.feature_vis(model, objs, quality=TINY, steps=24).tobytes() == plain.tobytes()
    with pytest.raises(vi.InterpretError, match="unknown speed setting 'fp8'"):
        with speed(fp8=True):
            pass


def test_nan_late_in_a_render_names_its_step(model):
    """The objective is read every few steps (each read waits for a GPU): a NaN is still
    reported at the step where it appeared."""
    calls = []

    def late(ctx):
        calls.append(1)
        value = ctx.image.flatten(1).mean(1)
        return value * float("nan") if len(calls) > 40 else value

    with pytest.raises(vi.InterpretError, match=r"NaN or infinite at step 40 for image 0 \('late\(\)'\)"):
        vi.feature_vis(model, [vi.Objective(late, "late()")], quality=TINY, steps=100)


@pytest.mark.parametrize("call, message", [
    (lambda m: vi.channel("blocks.1", 5.0), "n must be a whole number from 0, got 5.0"),
    (lambda m: vi.channel("blocks.1", 3, batch=-1), "batch must be a whole number from 0, got -1"),
    (lambda m: vi.feature_vis(m, [vi.channel("blocks.1", 3)], size=0), "size must be a whole number from 1, got 0"),
    (lambda m: vi.feature_vis(m, [vi.channel("blocks.1", 3)], steps=-1), "steps must be a whole number from 1"),
    (lambda m: vi.feature_vis(m, [vi.channel("blocks.1", 3)], quality="ultra"), "unknown quality 'ultra'"),
    (lambda m: vi.feature_vis(m, [vi.neuron("blocks.1", 3, 50, 50)], size=32, steps=1),
     "position (50, 50) is outside layer 'blocks.1', which is "),
    (lambda m: vi.feature_vis_many(m, [vi.channel("blocks.1", 3)], [0]), "feature_vis_many takes lists of objectives"),
])
def test_a_setting_or_an_objective_out_of_range_is_named_not_defaulted(call, message):
    """Zero is not "unset", and no torch error leaks: the message names the argument."""
    model = vi.load_model("tiny")
    with pytest.raises(vi.InterpretError) as err:
        call(model)
    assert err.value.message.startswith(message), err.value.message


def test_channels_last_off_changes_the_bytes_on_the_cpu_and_the_default_comes_back():
    model = vi.load_model("efficientnet_lite0")

    def render(**speed):
        with vi.speed(**speed):
            return vi.feature_vis(model, [vi.channel("blocks.4", 3)], size=32, steps=8, seed=0, threads=1)

    default = render()
    assert not np.array_equal(render(channels_last=False), default)
    assert np.array_equal(render(), default)
