"""Taxonomy loading, defaults and fingerprints."""

from __future__ import annotations

import pytest

from nlp.taxonomy import Taxonomy, TaxonomyCategory


def test_default_taxonomy_has_named_categories_with_seeds() -> None:
    """The packaged taxonomy gives every category a human name and seed examples."""
    taxonomy = Taxonomy.default()
    assert len(taxonomy.keys) == 11
    assert all(c.name and c.name != c.key and len(c.seed_examples) >= 3 for c in taxonomy.categories)


def test_from_json_accepts_shared_format_and_list_format() -> None:
    """Both the shared key->description file and a list of category rows build the same keys."""
    shared = Taxonomy.from_json({"categories": {"billing": "Invoices and charges."}})
    rows = Taxonomy.from_json([{"key": "billing", "name": "Billing", "description": "Invoices and charges.",
                                "seed_examples": ["We were double charged."]}])
    assert shared.keys == rows.keys == ["billing"]
    assert rows.categories[0].seed_examples == ["We were double charged."]


def test_fingerprint_is_stable_and_tracks_changes() -> None:
    """Same content gives the same fingerprint; an edited description changes it."""
    a = Taxonomy([TaxonomyCategory("x", "X", "about x", ["x is bad"])])
    b = Taxonomy([TaxonomyCategory("x", "X", "about x", ["x is bad"])])
    c = Taxonomy([TaxonomyCategory("x", "X", "about x and y", ["x is bad"])])
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


def test_duplicate_keys_are_rejected() -> None:
    """Two categories with one key would make trained columns ambiguous."""
    with pytest.raises(ValueError):
        Taxonomy([TaxonomyCategory("x", "X", ""), TaxonomyCategory("x", "Y", "")])
