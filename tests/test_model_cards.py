"""Model cards: a model's layers, labels and weights hash, kept as JSON to check specs
without loading the model."""

from __future__ import annotations

import pytest

from generator.errors import SpecError
from generator.figures import model_cards
from generator.figures.model_cards import ModelCard, ModelCards


def test_card_is_read_back_without_loading_the_model(tmp_path, monkeypatch):
    card = ModelCards(tmp_path).get("tiny")
    assert [f.name for f in tmp_path.iterdir()] == [f"tiny-seeded-v{model_cards.__version__}-card{model_cards.CARD_FORMAT}.json"]
    assert card.layer("blocks.1").channels == 24 and len(card.labels) == 10

    def refuse(name):
        raise AssertionError("the model was loaded although its card was on disk")

    monkeypatch.setattr(model_cards, "loaded_model", refuse)
    again = ModelCards(tmp_path).get("tiny")
    assert again == card and isinstance(again, ModelCard)


def test_card_errors_name_the_closest_layer_and_the_class_count(tmp_path):
    card = ModelCards(tmp_path).get("tiny")
    with pytest.raises(SpecError) as info:
        card.layer("block.1")
    assert info.value.message == "model 'tiny' has no layer 'block.1'"
    assert info.value.fix.startswith("did you mean 'blocks.1'")
    with pytest.raises(SpecError) as info:                   # nothing close: the blocks, not every layer
        card.layer("features.4")
    blocks = ", ".join(i.name for i in card.blocks())
    assert info.value.fix == f"its blocks are {blocks} (`python -m generator layers tiny` lists them)"
    with pytest.raises(SpecError) as info:
        card.check_class(10)
    assert info.value.message == "class 10 is out of range: model 'tiny' has 10 classes"
