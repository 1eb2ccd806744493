"""Generic few-shot text classification over sentence embeddings (the banking77 benchmark)."""

from __future__ import annotations

import csv
import json
import random
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp.encoder import Encoder
from nlp.errors import DataFileError

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


@dataclass
class TuneSettings:
    """Contrastive fine-tuning of the sentence encoder before the classifier (SetFit-style)."""

    epochs: int = 4
    learning_rate: float = 5e-5
    temperature: float = 0.05
    classes_per_batch: int = 16
    per_class: int = 4
    max_length: int = 64


def label_text(label: str) -> str:
    """A label name as words ("card_arrival" -> "card arrival"): a free extra example per class."""
    return label.replace("_", " ").replace("-", " ").strip()


def augment(text: str, rng: random.Random) -> str:
    """A noisy copy of a training text (EDA-style word dropout, sometimes lower-cased without end punctuation).

    Contrastive tuning on ten examples per class overfits their exact wording; a second, slightly damaged view
    of each example is a positive pair that teaches the encoder what stays the same when words go missing.
    """
    words = text.split()
    if len(words) > 3:
        words = [w for w in words if rng.random() > 0.15] or words
    out = " ".join(words)
    return out.lower().rstrip("?.! ") if rng.random() < 0.5 else out


def tune_encoder(encoder: Encoder, texts: Sequence[str], labels: Sequence[str], seed: int,
                 settings: TuneSettings | None = None) -> Encoder:
    """A copy of the encoder fine-tuned with a supervised contrastive loss on class-balanced batches."""
    import copy

    import torch

    settings = settings or TuneSettings()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = copy.deepcopy(encoder.model)
    transformer = model[0]
    network, tokenizer = transformer.auto_model, transformer.tokenizer
    network.train()
    optimizer = torch.optim.AdamW(network.parameters(), lr=settings.learning_rate, weight_decay=0.01)
    classes = sorted(set(labels))
    ids = np.array([classes.index(label) for label in labels])
    for _ in range(settings.epochs):
        for batch in _balanced_batches(ids, settings.classes_per_batch, settings.per_class, rng):
            enc = tokenizer([texts[i] for i in batch], padding=True, truncation=True,
                            max_length=settings.max_length, return_tensors="pt").to(encoder.device)
            hidden = network(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            z = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1)
            y = torch.as_tensor(ids[batch], device=z.device)
            loss = _supcon_loss(z, y, settings.temperature)
            if loss is None:
                continue
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    network.eval()
    return Encoder(model, encoder.device, cache_size=0, batch_size=encoder.batch_size)


def _balanced_batches(ids: np.ndarray, classes_per_batch: int, per_class: int,
                      rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch of batches holding `per_class` examples of each of `classes_per_batch` classes."""
    chunks: list[np.ndarray] = []
    for cls in np.unique(ids):
        members = rng.permutation(np.flatnonzero(ids == cls))
        chunks.extend(members[i:i + per_class] for i in range(0, len(members), per_class))
    order = rng.permutation(len(chunks))
    return [np.concatenate([chunks[j] for j in order[i:i + classes_per_batch]])
            for i in range(0, len(order), classes_per_batch)]


def _supcon_loss(z: Any, y: Any, temperature: float) -> Any:
    """Supervised contrastive loss (Khosla et al., 2020) over one batch of normalized embeddings."""
    import torch

    sim = z @ z.T / temperature
    eye = torch.eye(len(y), dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(eye, -1e9)
    positives = (y[:, None] == y[None, :]) & ~eye
    has = positives.sum(1) > 0
    if not bool(has.any()):
        return None
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    per_anchor = (log_prob * positives).sum(1)[has] / positives.sum(1)[has]
    return -per_anchor.mean()


def _logistic(c: float, x: Any, y: Sequence[str]) -> Any:
    """A logistic regression fitted quietly (ten examples per class make lbfgs warn about convergence)."""
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression(C=c, max_iter=3000).fit(x, list(y))


class FewShotClassifier:
    """Logistic regression over normalized sentence embeddings."""

    def __init__(self, c: float = 10.0) -> None:
        self.c = c
        self.model = None

    def fit(self, x: np.ndarray, y: Sequence[str]) -> FewShotClassifier:
        """Fit on embedded training texts."""
        self.model = _logistic(self.c, x, y)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, columns in the order of `classes`."""
        assert self.model is not None, "fit first"
        return self.model.predict_proba(x)

    @property
    def classes(self) -> np.ndarray:
        assert self.model is not None, "fit first"
        return self.model.classes_

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted labels for embedded texts."""
        return self.classes[self.predict_proba(x).argmax(1)]


class CharNgramClassifier:
    """Logistic regression over character 2-5-gram TF-IDF: spelling-level cues ("top up", "PIN") that a
    sentence vector blurs; its probabilities are added to the embedding classifier's with a lower weight."""

    def __init__(self, c: float = 20.0) -> None:
        self.c = c
        self.vectorizer: Any = None
        self.model: Any = None

    def fit(self, texts: Sequence[str], y: Sequence[str]) -> CharNgramClassifier:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        self.model = _logistic(self.c, self.vectorizer.fit_transform(texts), y)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        assert self.model is not None, "fit first"
        return self.model.predict_proba(self.vectorizer.transform(texts))


CHAR_WEIGHT = 0.5  # weight of the character n-gram probabilities next to the embedding classifier's


def run_fewshot(encoder: Encoder, train: LabelledTexts, test: LabelledTexts, shots: int | None,
                seeds: Sequence[int], tune: TuneSettings | None = None,
                progress: Callable[[int], None] | None = None) -> dict[str, object]:
    """Accuracy per seed (K shots per class, or the full training set when shots is None).

    Each run trains on the sampled texts plus one label-name text per class. With `tune`, a fresh copy of the
    encoder is fine-tuned contrastively on those texts and a word-dropout copy of each, and the classifier reads
    tuned and frozen embeddings side by side. A character n-gram classifier votes with weight CHAR_WEIGHT.
    """
    train_texts, train_labels = train
    test_texts, test_labels = test
    gold = np.asarray(test_labels)
    classes = sorted(set(train_labels))
    frozen_test = encoder.embed(test_texts)
    accuracies: list[float] = []
    embedding_only: list[float] = []
    for seed in (seeds if shots else seeds[:1]):
        idx = sample_shots(train_labels, shots, seed) if shots else np.arange(len(train_texts))
        texts = [train_texts[i] for i in idx] + [label_text(c) for c in classes]
        labels = [train_labels[i] for i in idx] + classes
        train_x, test_x = encoder.embed(texts), frozen_test
        if tune:
            # the tuned and the frozen views side by side: tuning sharpens the classes seen, the frozen
            # vectors keep the general semantics that ten examples cannot teach
            rng = random.Random(seed)
            views = texts + [augment(train_texts[i], rng) for i in idx]
            view_labels = labels + [train_labels[i] for i in idx]
            tuned = tune_encoder(encoder, views, view_labels, seed, tune)
            train_x = np.hstack([tuned.embed(texts), train_x])
            test_x = np.hstack([tuned.embed(test_texts), frozen_test])
        clf = FewShotClassifier().fit(train_x, labels)
        proba = clf.predict_proba(test_x)
        embedding_only.append(round(float((clf.classes[proba.argmax(1)] == gold).mean()), 4))
        chars = CharNgramClassifier().fit(texts, labels)
        proba = proba + CHAR_WEIGHT * chars.predict_proba(test_texts)
        accuracies.append(round(float((clf.classes[proba.argmax(1)] == gold).mean()), 4))
        if progress:
            progress(1)
    return {"accuracy_mean": round(float(np.mean(accuracies)), 4), "accuracies": accuracies,
            "embedding_only_mean": round(float(np.mean(embedding_only)), 4),
            "embedding_only": embedding_only, "shots": shots,
            "seeds": list(seeds if shots else seeds[:1]), "tuned": tune is not None}
