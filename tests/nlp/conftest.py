"""Shared NLP fixtures: the real model, loaded once per test session, and small data files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Directory of the small labelled and few-shot files."""
    return FIXTURES


@pytest.fixture(scope="session")
def engine() -> Iterator["object"]:
    """The zero-shot engine with the packaged MiniLM on CPU (slow to load, so once per session)."""
    from nlp.engine import Engine, EngineSettings

    yield Engine.load(EngineSettings(device="cpu"))


@pytest.fixture(scope="session")
def nlp_pipeline() -> object:
    """The spaCy pipeline alone (no transformer)."""
    from nlp.pipeline import build_pipeline

    return build_pipeline()


@pytest.fixture(scope="session")
def annotator(nlp_pipeline: object) -> object:
    """Rule components over the shared pipeline."""
    from nlp.engine import DEFAULT_COMPETITORS
    from nlp.rules import RuleAnnotator

    return RuleAnnotator(nlp_pipeline, DEFAULT_COMPETITORS)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def labelled_examples(fixtures_dir: Path) -> list["object"]:
    """The labelled fixture file as human corrections."""
    from nlp.evaluate import read_jsonl

    return [row.as_example() for row in read_jsonl(fixtures_dir / "labelled.jsonl", labelled=True)]


@pytest.fixture(scope="session")
def trained_blob(engine: object, labelled_examples: list[object]) -> bytes:
    """A model trained on the fixture corrections (small, so fast)."""
    from nlp.training import train

    return train(engine, labelled_examples)  # type: ignore[arg-type]
