"""The dataset pass's statistics: exact against brute force, the same bytes for any split of
the images, bounded in size."""

from __future__ import annotations

import numpy as np
import pytest

from generator import interpret as vi
from generator.interpret.unit_stats import FIXED_POINT


def activations(seed: int, n: int, channels: int = 5):
    """n random activations (C, H, W) of varied grid sizes, like photos of varied shapes."""
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 3, (channels, 3 + i % 4, 4 + i % 3)).astype(np.float32) for i in range(n)]


def filled(acts, labels, **sizes) -> vi.UnitStats:
    stats = vi.UnitStats.empty("blocks.1", acts[0].shape[0], **sizes)
    stats.add_many(list(range(len(acts))), acts, labels)
    return stats


def test_top_examples_equal_a_brute_force_search():
    acts = activations(0, 40)
    stats = filled(acts, [None] * 40, k=6)
    for channel in range(5):
        per_image = [(float(a[channel].max()), i) for i, a in enumerate(acts)]
        expected = sorted(per_image, key=lambda t: (-t[0], t[1]))[:6]
        got = stats.top(channel)
        assert [(v, w[0]) for v, w in got] == expected
        for value, (image, y, x, rows, cols) in got:           # the position holds that value
            assert acts[image][channel, y, x] == value and (rows, cols) == acts[image].shape[1:]


def test_any_split_and_order_gives_the_same_bytes():
    acts, labels = activations(1, 30), [i % 3 if i % 4 else None for i in range(30)]
    whole = filled(acts, labels, k=4, sample=8, vectors=10).to_bytes()
    one_by_one = vi.UnitStats.empty("blocks.1", 5, k=4, sample=8, vectors=10)
    for i in reversed(range(30)):
        one_by_one.add(i, acts[i], labels[i])
    assert one_by_one.to_bytes() == whole
    parts = []
    for start, stop in [(20, 30), (0, 7), (7, 20)]:
        part = vi.UnitStats.empty("blocks.1", 5, k=4, sample=8, vectors=10)
        part.add_many(list(range(start, stop)), acts[start:stop], labels[start:stop])
        parts.append(part)
    assert parts[0].merged(parts[1]).merged(parts[2]).to_bytes() == whole
    assert parts[2].merged(parts[0].merged(parts[1])).to_bytes() == whole
    assert vi.UnitStats.from_bytes(whole).to_bytes() == whole


def test_histogram_counts_every_activation_and_class_means_are_exact():
    acts, labels = activations(2, 12), [0, 1, 2] * 4
    stats = filled(acts, labels)
    for channel in range(5):
        values = np.concatenate([a[channel].ravel() for a in acts])
        assert stats.histogram[channel].sum() == values.size
        expected, _ = np.histogram(np.clip(values, -500, 500), bins=vi.HISTOGRAM_EDGES)
        assert (stats.histogram[channel] == expected).all()
    means = stats.class_means()
    assert sorted(means) == [0, 1, 2] and list(stats.class_counts) == [4, 4, 4]
    expected = np.mean([acts[i].reshape(5, -1).mean(1) for i in range(12) if labels[i] == 1], axis=0)
    assert np.allclose(means[1], expected, atol=2 / FIXED_POINT)


def test_memory_stays_bounded_and_samples_are_real_positions():
    acts = activations(3, 60)
    stats = filled(acts, [None] * 60, k=3, sample=5, vectors=7)
    assert stats.top_values.shape == (5, 3) and stats.sample_values.shape == (5, 5)
    vectors, where = stats.sampled_vectors()
    assert vectors.shape == (7, 5) and len({tuple(w) for w in where}) == 7     # distinct positions
    for vector, (image, y, x, rows, cols) in zip(vectors, where):
        assert np.array_equal(acts[image][:, y, x].astype(np.float16).astype(np.float32), vector)   # half precision
        assert 0 < y < rows - 1 and 0 < x < cols - 1                    # away from the edges
    quantiles = stats.quantile_examples(0)
    assert [q for q, _, _ in quantiles] == [0.5, 0.9, 0.99]
    assert quantiles[0][1] <= quantiles[1][1] <= quantiles[2][1]
    for _, value, (image, y, x, _, _) in quantiles:
        assert acts[image][0, y, x] == value == acts[image][0].max()


def test_a_small_dataset_gives_several_vectors_per_image_a_large_one_about_one():
    from generator.interpret.unit_stats import POSITIONS

    rng = np.random.default_rng(4)
    few = filled([rng.normal(0, 3, (5, 8, 9)).astype(np.float32) for _ in range(3)], [None] * 3, vectors=4096)
    _, where = few.sampled_vectors()                                    # 42 inner positions an image
    assert len(where) == 3 * POSITIONS and len({tuple(w) for w in where}) == 3 * POSITIONS
    many = filled(activations(5, 200), [None] * 200, vectors=64)
    _, where = many.sampled_vectors()
    assert len(where) == 64 and len(set(where[:, 0].tolist())) >= 50       # spread over the images


def test_a_wrong_activation_shape_is_refused():
    stats = vi.UnitStats.empty("blocks.1", 5)
    with pytest.raises(vi.ChannelOutOfRange, match="5 channels"):
        stats.add(0, np.zeros((4, 3, 3), np.float32))
    with pytest.raises(vi.ChannelOutOfRange, match="channel 5 is out of range for layer 'blocks.1', which has 5"):
        stats.top(5)


def test_atlas_helpers_name_their_mistakes():
    model = vi.load_model("tiny")
    with pytest.raises(vi.LayerNotFound, match="did you mean 'blocks.1'"):
        vi.tiled_logits(model, "block.1", np.zeros((2, 24)))
    with pytest.raises(vi.ChannelOutOfRange, match=r"vectors of shape \(2, 5\) do not fit layer 'blocks.1'"):
        vi.tiled_logits(model, "blocks.1", np.zeros((2, 5)))
    with pytest.raises(vi.InterpretError, match="an atlas needs at least 4 activation vectors, got 2"):
        vi.atlas_layout(np.zeros((2, 24), np.float32))
