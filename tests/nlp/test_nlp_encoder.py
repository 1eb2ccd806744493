"""Embedding: one pass per text, span pooling, cache."""

from __future__ import annotations

import numpy as np


def test_whole_text_vector_matches_the_library_encode(engine: object) -> None:
    """Our pooled vector equals sentence-transformers' own normalized embedding."""
    enc = engine.encoder  # type: ignore[attr-defined]
    texts = ["Support is great but the app is slow.", "n/a"]
    ours, _ = enc.encode_spans(texts, [[], []])
    assert np.allclose(ours, enc.raw_encode(texts), atol=1e-5)


def test_span_vectors_are_normalized_and_differ_per_clause(engine: object) -> None:
    """Each clause span gets its own unit vector from the same forward pass."""
    enc = engine.encoder  # type: ignore[attr-defined]
    text = "Support is great but the app is slow."
    _, spans = enc.encode_spans([text], [[(0, 16), (17, 37)]])
    assert spans[0].shape == (2, enc.dim)
    assert np.allclose(np.linalg.norm(spans[0], axis=1), 1.0, atol=1e-5)
    assert float(spans[0][0] @ spans[0][1]) < 0.99


def test_repeated_texts_hit_the_cache(engine: object) -> None:
    """A text seen before is not encoded again."""
    enc = engine.encoder  # type: ignore[attr-defined]
    enc.embed(["a unique cache probe text"])
    before = enc.cache_hits
    enc.embed(["a unique cache probe text", "a unique cache probe text"])
    assert enc.cache_hits == before + 2
