"""Few-shot classification helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.errors import DataFileError
from nlp.fewshot import read_labelled_texts, run_fewshot, sample_shots


def test_sample_shots_is_per_class_and_deterministic() -> None:
    """K examples per class, the same for the same seed."""
    labels = ["a"] * 5 + ["b"] * 5
    first = sample_shots(labels, 2, seed=1)
    assert len(first) == 4 and (sample_shots(labels, 2, seed=1) == first).all()


def test_reads_csv_and_jsonl(tmp_path: Path, fixtures_dir: Path) -> None:
    """CSV text,category and JSONL text,label are both accepted; a bad line is named."""
    texts, labels = read_labelled_texts(fixtures_dir / "fewshot_train.csv")
    assert len(texts) == 12 and set(labels) == {"lost_card", "top_up", "exchange_rate"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "x"}\n{oops\n')
    with pytest.raises(DataFileError, match="line 2"):
        read_labelled_texts(bad)


def test_run_fewshot_reports_accuracy_per_seed(engine: object, fixtures_dir: Path) -> None:
    """Accuracy for each seed and their mean on a tiny 3-class task."""
    train = read_labelled_texts(fixtures_dir / "fewshot_train.csv")
    test = read_labelled_texts(fixtures_dir / "fewshot_test.csv")
    result = run_fewshot(engine.encoder, train, test, shots=3, seeds=[0, 1])  # type: ignore[attr-defined]
    assert len(result["accuracies"]) == 2 and 0.0 <= result["accuracy_mean"] <= 1.0


def test_contrastive_tuning_returns_a_separate_encoder(engine: object, fixtures_dir: Path) -> None:
    """Fine-tuning works on a copy: the engine's own encoder is untouched."""
    from nlp.fewshot import TuneSettings, tune_encoder

    texts, labels = read_labelled_texts(fixtures_dir / "fewshot_train.csv")
    base = engine.encoder  # type: ignore[attr-defined]
    before = base.embed(["my card is missing"]).copy()
    tuned = tune_encoder(base, texts, labels, seed=0, settings=TuneSettings(epochs=1, classes_per_batch=3))
    assert tuned.model is not base.model
    assert (base.embed(["my card is missing"]) == before).all()
    assert tuned.embed(["my card is missing"]).shape == (1, base.dim)


def test_augment_drops_words_but_never_everything() -> None:
    """The noisy view keeps most words, is reproducible per seed and never comes out empty."""
    import random

    from nlp.fewshot import augment

    text = "How do I top up my card with a bank transfer from abroad?"
    a = [augment(text, random.Random(3)) for _ in range(2)]
    assert a[0] == a[1]
    views = {augment(text, random.Random(seed)) for seed in range(20)}
    assert len(views) > 5 and all(v.strip() for v in views)
    assert all(len(v.split()) >= 4 for v in views)
    assert augment("PIN", random.Random(0)) in ("PIN", "pin")


def test_char_ngram_classifier_reads_spelling() -> None:
    """Character n-grams separate classes by the words' spelling, including unseen inflections."""
    from nlp.fewshot import CharNgramClassifier

    texts = ["top up failed", "my top-up did not go through", "topping up is broken",
             "card not arrived", "where is my card", "the card never arrived"]
    labels = ["top_up", "top_up", "top_up", "card", "card", "card"]
    clf = CharNgramClassifier().fit(texts, labels)
    proba = clf.predict_proba(["topped up twice", "my new card arrives when?"])
    classes = list(clf.model.classes_)
    assert classes[proba[0].argmax()] == "top_up" and classes[proba[1].argmax()] == "card"
