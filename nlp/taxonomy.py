"""Root-cause taxonomy: the categories a customer's feedback is sorted into."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass
class TaxonomyCategory:
    """One category of the user's taxonomy, with what zero-shot matching needs."""

    key: str
    name: str
    description: str
    seed_examples: list[str] = field(default_factory=list)

    def prototype_texts(self) -> list[str]:
        """Texts whose embeddings stand for the category before any human correction."""
        texts = [f"{self.name}: {self.description}"] if self.description else [self.name]
        return texts + [s for s in self.seed_examples if s.strip()]


@dataclass
class Taxonomy:
    """An ordered set of categories; the order fixes the columns of trained models."""

    categories: list[TaxonomyCategory]

    def __post_init__(self) -> None:
        keys = [c.key for c in self.categories]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate category keys in taxonomy: {keys}")

    @property
    def keys(self) -> list[str]:
        """Category keys in taxonomy order."""
        return [c.key for c in self.categories]

    def get(self, key: str) -> TaxonomyCategory | None:
        """Look a category up by key."""
        return next((c for c in self.categories if c.key == key), None)

    @classmethod
    def default(cls) -> Taxonomy:
        """The packaged taxonomy (nlp/data/taxonomy.json) with its names and seed examples."""
        raw = json.loads((DATA_DIR / "taxonomy.json").read_text("utf-8"))
        return cls.from_json(raw)

    @classmethod
    def from_json(cls, data: dict[str, Any] | list[Any] | str) -> Taxonomy:
        """Build from the shared file format ({"categories": {key: description}}) or a list of category objects."""
        if isinstance(data, str):
            data = json.loads(data)
        seeds = _default_seeds()
        raw = data.get("categories", data) if isinstance(data, dict) else data
        categories: list[TaxonomyCategory] = []
        if isinstance(raw, dict):
            for key, value in raw.items():
                if isinstance(value, str):
                    value = {"description": value}
                categories.append(_category(key, value, seeds))
        elif isinstance(raw, list):
            for value in raw:
                if not isinstance(value, dict) or "key" not in value:
                    raise ValueError("each taxonomy category needs a 'key'")
                categories.append(_category(str(value["key"]), value, seeds))
        else:
            raise ValueError("taxonomy JSON must hold a 'categories' object or list")
        if not categories:
            raise ValueError("taxonomy has no categories")
        return cls(categories)

    def to_json(self) -> dict[str, Any]:
        """Serializable form that from_json reads back."""
        return {
            "categories": [
                {"key": c.key, "name": c.name, "description": c.description, "seed_examples": list(c.seed_examples)}
                for c in self.categories
            ]
        }

    def fingerprint(self) -> str:
        """Stable hash of everything that changes predictions, for model versions and re-analysis."""
        blob = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _category(key: str, value: dict[str, Any], seeds: dict[str, Any]) -> TaxonomyCategory:
    """One category, filling name and seeds from the packaged defaults when the source has none."""
    default = seeds.get(key, {})
    name = value.get("name") or default.get("name") or key.replace("_", " ").capitalize()
    examples = value.get("seed_examples")
    if examples is None:
        examples = default.get("seed_examples", [])
    return TaxonomyCategory(key=key, name=str(name), description=str(value.get("description", "")),
                            seed_examples=[str(s) for s in examples])


def _default_seeds() -> dict[str, Any]:
    """Human names and generic seed phrasings for the default categories."""
    text = (DATA_DIR / "taxonomy_seeds.json").read_text("utf-8")
    return dict(json.loads(text))
