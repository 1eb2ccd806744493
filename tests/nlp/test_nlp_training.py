"""Learning from human corrections."""

from __future__ import annotations

import io
import zipfile

import numpy as np

from nlp.engine import Engine
from nlp.model import TrainedModel
from nlp.training import LabelledExample, train
from nlp.types import VerbatimInput


def test_trained_blob_is_npz_without_pickles(trained_blob: bytes) -> None:
    """The blob is a plain npz that loads with allow_pickle=False."""
    with zipfile.ZipFile(io.BytesIO(trained_blob)) as archive:
        assert "__meta__.npy" in archive.namelist()
    with np.load(io.BytesIO(trained_blob), allow_pickle=False) as data:
        assert len(data.files) > 1


def test_trained_engine_analyzes_and_round_trips(engine: Engine, trained_blob: bytes) -> None:
    """A trained engine loads the blob, keeps its heads, and still analyses."""
    model = TrainedModel.from_bytes(trained_blob)
    assert "sentiment" in model.heads and model.meta["embedding_dim"] == 384
    assert TrainedModel.from_bytes(model.to_bytes()).heads.keys() == model.heads.keys()
    [result] = engine.with_trained(trained_blob).analyze([VerbatimInput(text="Support was fantastic, thanks!")])
    assert result.sentiment in ("positive", "negative", "neutral", "mixed")


def test_partial_corrections_train_only_their_heads(engine: Engine) -> None:
    """Examples where only sentiment was corrected train the sentiment head and nothing else."""
    texts = ["love it", "great support", "terrible app", "so slow", "ok", "n/a", "fine I guess",
             "awful billing", "best tool ever", "crashes daily"]
    labels = ["positive", "positive", "negative", "negative", "neutral", "neutral", "neutral",
              "negative", "positive", "negative"]
    blob = train(engine, [LabelledExample(text=t, sentiment=s) for t, s in zip(texts, labels)])
    assert set(TrainedModel.from_bytes(blob).heads) == {"sentiment"}
