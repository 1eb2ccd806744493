"""Turn human corrections into trained heads over embeddings and rule evidence (retraining job)."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nlp.features import RULE_FEATURES, SENTIMENTS
from nlp.model import LinearHead, TrainedModel
from nlp.types import PRAISE_TARGETS, VerbatimInput

if TYPE_CHECKING:
    from nlp.engine import Engine

# Rule and per-category evidence weigh more than any single embedding dimension.
RULE_WEIGHT = 3.0
EMBED_WEIGHT = 1.0
C_GRID = (0.05, 0.2, 1.0)
FOLDS = 5
MIN_POSITIVES = 3


@dataclass
class LabelledExample:
    """A verbatim with the labels a human set; None means the human did not correct that field."""

    text: str
    channel: str = "nps"
    score: int | None = None
    categories: list[str] | None = None
    sentiment: str | None = None
    praise: bool | None = None
    praise_targets: list[str] | None = None
    referral_signal: bool | None = None
    churn_risk: bool | None = None
    people: list[str] | None = None


def train(engine: Engine, examples: Sequence[LabelledExample], seed: int = 0) -> bytes:
    """Fit every head that has enough corrected examples; returns the blob EngineSettings(trained=...) takes."""
    if not examples:
        raise ValueError("no labelled examples to train on")
    prepared = engine.with_trained(None).prepare(
        [VerbatimInput(text=e.text, channel=e.channel or "nps", score=e.score) for e in examples])
    shared = np.stack([p.features.shared() for p in prepared])
    n_shared = shared.shape[1]
    n_rule = len(RULE_FEATURES)
    heads: dict[str, LinearHead] = {}
    report: dict[str, dict[str, float | str]] = {}
    rng = np.random.default_rng(seed)

    for j, key in enumerate(engine.taxonomy.keys):
        rows = [i for i, e in enumerate(examples) if e.categories is not None]
        y = np.array([key in (examples[i].categories or []) for i in rows], dtype=int)
        if len(rows) == 0 or y.sum() < MIN_POSITIVES or (len(y) - y.sum()) < MIN_POSITIVES:
            continue
        x = np.stack([np.concatenate([shared[i], prepared[i].features.category_block(j)]) for i in rows])
        zero_shot = np.array([_zero_shot_category(prepared[i].features.category_block(j), key) for i in rows])
        head, info = _fit_binary(x, y, n_weighted_from=n_shared - n_rule, rule=zero_shot, rng=rng)
        heads[f"cat:{key}"] = head
        report[f"cat:{key}"] = info

    rows = [i for i, e in enumerate(examples) if e.sentiment in SENTIMENTS]
    if len(rows) >= 8 and len({examples[i].sentiment for i in rows}) >= 2:
        y_text = [str(examples[i].sentiment) for i in rows]
        rule = [prepared[i].rules.sentiment for i in rows]
        head, info = _fit_multiclass(shared[rows], y_text, n_weighted_from=n_shared - n_rule, rule=rule, rng=rng)
        heads["sentiment"] = head
        report["sentiment"] = info

    flag_rules = {
        "praise": lambda i: any(c.praise for c in prepared[i].rules.clauses),
        "referral": lambda i: bool(prepared[i].rules.referral),
        "churn": lambda i: bool(prepared[i].rules.churn),
    }
    flag_labels = {"praise": lambda e: e.praise, "referral": lambda e: e.referral_signal,
                   "churn": lambda e: e.churn_risk}
    for name, label in flag_labels.items():
        rows = [i for i, e in enumerate(examples) if label(e) is not None]
        y = np.array([bool(label(examples[i])) for i in rows], dtype=int)
        if y.sum() < MIN_POSITIVES or (len(y) - y.sum()) < MIN_POSITIVES:
            continue
        rule = np.array([flag_rules[name](i) for i in rows], dtype=int)
        head, info = _fit_binary(shared[rows], y, n_weighted_from=n_shared - n_rule, rule=rule, rng=rng)
        heads[name] = head
        report[name] = info

    for target in PRAISE_TARGETS:
        rows = [i for i, e in enumerate(examples) if e.praise and e.praise_targets is not None]
        y = np.array([target in (examples[i].praise_targets or []) for i in rows], dtype=int)
        if y.sum() < MIN_POSITIVES or (len(y) - y.sum()) < MIN_POSITIVES:
            continue
        rule = np.array([target in _rule_targets(prepared[i], examples[i].channel) for i in rows], dtype=int)
        head, info = _fit_binary(shared[rows], y, n_weighted_from=n_shared - n_rule, rule=rule, rng=rng)
        heads[f"target:{target}"] = head
        report[f"target:{target}"] = info

    meta = {
        "embedding_dim": int(engine.encoder.dim),
        "taxonomy_keys": engine.taxonomy.keys,
        "taxonomy_fingerprint": engine.taxonomy.fingerprint(),
        "rule_features": list(RULE_FEATURES),
        "examples": len(examples),
        "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "report": report,
    }
    return TrainedModel(heads=heads, meta=meta).to_bytes()


# --- fitting ---------------------------------------------------------------

def _zero_shot_category(block: np.ndarray, key: str) -> int:
    """The engine's zero-shot rule for one category, for comparison with a trained head."""
    from nlp.category_rules import CATEGORY_KEYWORDS
    from nlp.engine import ZS_SIM_ALONE, ZS_SIM_NO_RULES, ZS_SIM_WITH_RULE

    best, _, hit = block
    alone = ZS_SIM_ALONE if key in CATEGORY_KEYWORDS else ZS_SIM_NO_RULES
    return int((hit > 0 and best >= ZS_SIM_WITH_RULE) or best >= alone)


def _rule_targets(prepared: object, channel: str) -> list[str]:
    """Praise targets the rules found in a prepared verbatim."""
    out: list[str] = []
    for clause in prepared.rules.clauses:  # type: ignore[attr-defined]
        out.extend(clause.praise_targets(channel))
    return out


def _scaler(x: np.ndarray, n_weighted_from: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale that standardise columns, with rule columns up-weighted."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    scale = scale.copy()
    scale[:n_weighted_from] /= EMBED_WEIGHT
    scale[n_weighted_from:] /= RULE_WEIGHT
    return mean.astype(np.float32), scale.astype(np.float32)


def _logreg(c: float, multiclass: bool = False):  # type: ignore[no-untyped-def]
    """The linear model every head uses."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000, class_weight="balanced")


def _folds(y: Sequence[object], rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds (as many as the rarest class allows, at most FOLDS)."""
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(y)
    _, counts = np.unique(labels, return_counts=True)
    k = int(max(2, min(FOLDS, counts.min())))
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=int(rng.integers(1_000_000)))
    return list(splitter.split(np.zeros(len(labels)), labels))


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Binary F1 of the positive class."""
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _fit_binary(x: np.ndarray, y: np.ndarray, n_weighted_from: int, rule: np.ndarray,
                rng: np.random.Generator) -> tuple[LinearHead, dict[str, float | str]]:
    """Pick C and the threshold by cross-validated F1, then choose head, rule or either."""
    folds = _folds(y, rng)
    best: tuple[float, float, float, np.ndarray] | None = None
    for c in C_GRID:
        oof = np.zeros(len(y))
        for train_idx, test_idx in folds:
            mean, scale = _scaler(x[train_idx], n_weighted_from)
            model = _quiet_fit(_logreg(c), (x[train_idx] - mean) / scale, y[train_idx])
            oof[test_idx] = model.predict_proba((x[test_idx] - mean) / scale)[:, 1]
        threshold, f1 = _best_threshold(y, oof)
        if best is None or f1 > best[1]:
            best = (c, f1, threshold, oof)
    assert best is not None
    c, head_f1, threshold, oof = best
    rule_f1 = _f1(y, rule.astype(int))
    either_f1 = _f1(y, ((oof >= threshold) | (rule > 0)).astype(int))
    mode = max((head_f1, "head"), (rule_f1 - 0.01, "rule"), (either_f1 - 0.005, "or"))[1]
    mean, scale = _scaler(x, n_weighted_from)
    model = _quiet_fit(_logreg(c), (x - mean) / scale, y)
    head = LinearHead(mean=mean, scale=scale, weights=model.coef_.astype(np.float32),
                      bias=model.intercept_.astype(np.float32), threshold=float(threshold), mode=mode)
    return head, {"c": c, "cv_f1_head": round(head_f1, 4), "cv_f1_rule": round(rule_f1, 4),
                  "cv_f1_or": round(either_f1, 4), "mode": mode, "threshold": round(float(threshold), 3)}


def _fit_multiclass(x: np.ndarray, y: list[str], n_weighted_from: int, rule: list[str],
                    rng: np.random.Generator) -> tuple[LinearHead, dict[str, float | str]]:
    """Multinomial head with C picked by cross-validated macro F1."""
    from sklearn.metrics import f1_score

    labels = np.asarray(y)
    folds = _folds(labels, rng)
    best: tuple[float, float] | None = None
    for c in C_GRID:
        oof = np.empty(len(labels), dtype=object)
        for train_idx, test_idx in folds:
            mean, scale = _scaler(x[train_idx], n_weighted_from)
            model = _quiet_fit(_logreg(c, True), (x[train_idx] - mean) / scale, labels[train_idx])
            oof[test_idx] = model.predict((x[test_idx] - mean) / scale)
        score = float(f1_score(labels, oof.astype(str), average="macro"))
        if best is None or score > best[1]:
            best = (c, score)
    assert best is not None
    c, head_f1 = best
    rule_f1 = float(f1_score(labels, np.asarray(rule), average="macro"))
    mean, scale = _scaler(x, n_weighted_from)
    model = _quiet_fit(_logreg(c, True), (x - mean) / scale, labels)
    classes = [str(k) for k in model.classes_]
    weights, bias = model.coef_, model.intercept_
    if len(classes) == 2:  # sklearn keeps one row for two classes; expand to one row per class
        weights = np.vstack([-weights[0] / 2, weights[0] / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2])
    head = LinearHead(mean=mean, scale=scale, weights=weights.astype(np.float32), bias=bias.astype(np.float32),
                      classes=classes, mode="head" if head_f1 >= rule_f1 else "rule")
    return head, {"c": c, "cv_macro_f1_head": round(head_f1, 4), "cv_macro_f1_rule": round(rule_f1, 4),
                  "mode": head.mode}


def _best_threshold(y: np.ndarray, proba: np.ndarray) -> tuple[float, float]:
    """Threshold maximising F1 over out-of-fold probabilities, kept away from the extremes."""
    best = (0.5, _f1(y, (proba >= 0.5).astype(int)))
    for t in np.arange(0.2, 0.81, 0.05):
        f1 = _f1(y, (proba >= t).astype(int))
        if f1 > best[1] + 1e-9:
            best = (float(t), f1)
    return best


def _quiet_fit(model, x: np.ndarray, y: np.ndarray):  # type: ignore[no-untyped-def]
    """Fit without convergence chatter (the project turns warnings into errors in tests)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(x, y)
