"""Generic few-shot text classification over sentence embeddings (the banking77 benchmark)."""

from __future__ import annotations

import csv
import json
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from nlp.evaluate import DataFileError

LabelledTexts = tuple[list[str], list[str]]


def read_labelled_texts(path: str | Path) -> LabelledTexts:
    """Texts and labels from CSV (text,category) or JSONL (text,label)."""
    file = Path(path)
    if not file.is_file():
        raise DataFileError(f"{file}: no such file")
    texts: list[str] = []
    labels: list[str] = []
    if file.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        with file.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataFileError(f"{file}, line {number}: not valid JSON ({exc.msg})") from None
                label = obj.get("label", obj.get("category")) if isinstance(obj, dict) else None
                if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or label is None:
                    raise DataFileError(f"{file}, line {number}: expected an object with 'text' and 'label'")
                texts.append(obj["text"])
                labels.append(str(label))
    else:
        with file.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            fields = reader.fieldnames or []
            label_field = "category" if "category" in fields else "label" if "label" in fields else None
            if "text" not in fields or label_field is None:
                raise DataFileError(f"{file}, line 1: expected a header with 'text' and 'category' (or 'label')")
            for number, record in enumerate(reader, start=2):
                if record.get("text") is None or record.get(label_field) in (None, ""):
                    raise DataFileError(f"{file}, line {number}: missing text or category")
                texts.append(record["text"])
                labels.append(record[label_field])
    if not texts:
        raise DataFileError(f"{file}: no examples")
    return texts, labels


def sample_shots(labels: Sequence[str], shots: int, seed: int) -> np.ndarray:
    """Indices of `shots` examples per class, drawn with the given seed."""
    rng = np.random.default_rng(seed)
    picked: list[int] = []
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    for label in sorted(by_class):
        idx = by_class[label]
        picked.extend(rng.choice(idx, size=min(shots, len(idx)), replace=False).tolist())
    return np.asarray(sorted(picked))


class FewShotClassifier:
    """Logistic regression over normalized sentence embeddings."""

    def __init__(self, c: float = 10.0) -> None:
        self.c = c
        self.model = None

    def fit(self, x: np.ndarray, y: Sequence[str]) -> FewShotClassifier:
        """Fit on embedded training texts."""
        from sklearn.linear_model import LogisticRegression

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model = LogisticRegression(C=self.c, max_iter=3000).fit(x, list(y))
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted labels for embedded texts."""
        assert self.model is not None, "fit first"
        return self.model.predict(x)


def run_fewshot(embed: Callable[[Sequence[str]], np.ndarray], train: LabelledTexts, test: LabelledTexts,
                shots: int | None, seeds: Sequence[int],
                progress: Callable[[int], None] | None = None) -> dict[str, object]:
    """Accuracy per seed (K shots per class, or the full training set when shots is None)."""
    train_texts, train_labels = train
    test_texts, test_labels = test
    test_x = embed(test_texts)
    gold = np.asarray(test_labels)
    accuracies: list[float] = []
    for seed in (seeds if shots else seeds[:1]):
        idx = sample_shots(train_labels, shots, seed) if shots else np.arange(len(train_texts))
        x = embed([train_texts[i] for i in idx])
        clf = FewShotClassifier().fit(x, [train_labels[i] for i in idx])
        accuracies.append(round(float((clf.predict(test_x) == gold).mean()), 4))
        if progress:
            progress(1)
    return {"accuracy_mean": round(float(np.mean(accuracies)), 4), "accuracies": accuracies,
            "shots": shots, "seeds": list(seeds if shots else seeds[:1])}
