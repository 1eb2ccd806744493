"""Labelled-file loading and the metrics that `feedloop nlp evaluate` prints."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp.errors import DataFileError
from nlp.features import CHANNELS, SENTIMENTS
from nlp.training import LabelledExample
from nlp.types import PRAISE_TARGETS, VerbatimAnalysis, VerbatimInput

SUMMARY_KEYS = ("categories_macro_f1", "categories_micro_f1", "sentiment_accuracy", "sentiment_macro_f1",
                "praise_f1", "praise_target_macro_f1", "referral_f1", "churn_f1", "people_f1")


@dataclass
class Row:
    """One line of a labelled or unlabelled JSONL file."""

    id: str
    text: str
    channel: str
    score: int | None
    labels: dict[str, Any]

    def as_input(self) -> VerbatimInput:
        """What the engine analyses."""
        return VerbatimInput(text=self.text, channel=self.channel, score=self.score)

    def as_example(self) -> LabelledExample:
        """The labels of this row taken as human corrections."""
        lab = self.labels
        return LabelledExample(
            text=self.text, channel=self.channel, score=self.score, categories=lab.get("categories"),
            sentiment=lab.get("sentiment"), praise=lab.get("praise"), praise_targets=lab.get("praise_targets"),
            referral_signal=lab.get("referral_signal"), churn_risk=lab.get("churn_risk"), people=lab.get("people"))


def read_jsonl(path: str | Path, labelled: bool) -> list[Row]:
    """Read and validate a JSONL file; labelled files must carry the evaluation fields."""
    file = Path(path)
    if not file.is_file():
        raise DataFileError(f"{file}: no such file")
    rows: list[Row] = []
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{file}, line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise DataFileError(f"{file}, line {number}: expected an object with a string 'text'")
            score = obj.get("score")
            if score is not None and (not isinstance(score, (int, float)) or isinstance(score, bool)):
                raise DataFileError(f"{file}, line {number}: 'score' must be a number or null")
            channel = obj.get("channel") or "nps"
            if not isinstance(channel, str):
                raise DataFileError(f"{file}, line {number}: 'channel' must be a string")
            labels = {k: obj.get(k) for k in ("categories", "sentiment", "praise", "praise_targets", "people",
                                              "referral_signal", "churn_risk")}
            if labelled:
                _check_labels(labels, file, number)
            rows.append(Row(id=str(obj.get("id", number)), text=obj["text"], channel=channel,
                            score=int(score) if score is not None else None, labels=labels))
    if not rows:
        raise DataFileError(f"{file}: no lines to read")
    return rows


def _check_labels(labels: dict[str, Any], file: Path, number: int) -> None:
    """Labelled lines need every field in the schema of shared/data/README.md."""
    for key in ("categories", "praise_targets", "people"):
        if not isinstance(labels.get(key), list):
            raise DataFileError(f"{file}, line {number}: '{key}' must be a list")
    if labels.get("sentiment") not in SENTIMENTS:
        raise DataFileError(f"{file}, line {number}: 'sentiment' must be one of {', '.join(SENTIMENTS)}")
    for key in ("praise", "referral_signal", "churn_risk"):
        if not isinstance(labels.get(key), bool):
            raise DataFileError(f"{file}, line {number}: '{key}' must be true or false")


def prediction_record(row_id: str, analysis: VerbatimAnalysis) -> dict[str, Any]:
    """One output line in the labelled-file schema, plus confidences and evidence."""
    full = analysis.to_dict()
    full.pop("embedding", None)
    record = {
        "id": row_id,
        "categories": [c.key for c in analysis.categories],
        "sentiment": analysis.sentiment,
        "praise": analysis.praise,
        "praise_targets": list(analysis.praise_targets),
        "people": list(analysis.people),
        "referral_signal": analysis.referral_signal,
        "churn_risk": analysis.churn_risk,
    }
    record.update({k: v for k, v in full.items() if k not in record})
    return record


# --- metrics ---------------------------------------------------------------

def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 from counts."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": tp + fn}


def score_predictions(rows: Sequence[Row], preds: Sequence[dict[str, Any]], category_keys: Sequence[str]
                      ) -> dict[str, Any]:
    """Per-label and summary metrics of predictions against labelled rows."""
    per_label: dict[str, dict[str, float]] = {}
    keys = list(dict.fromkeys(list(category_keys) + [k for r in rows for k in r.labels["categories"]]))
    micro = [0, 0, 0]
    cat_f1s = []
    for key in keys:
        tp = fp = fn = 0
        for row, pred in zip(rows, preds):
            g, p = key in row.labels["categories"], key in pred["categories"]
            tp += g and p
            fp += p and not g
            fn += g and not p
        micro = [micro[0] + tp, micro[1] + fp, micro[2] + fn]
        per_label[f"category:{key}"] = prf(tp, fp, fn)
        if tp + fn > 0:
            cat_f1s.append(per_label[f"category:{key}"]["f1"])
    sent_f1s = []
    for cls in SENTIMENTS:
        tp = sum(r.labels["sentiment"] == cls and p["sentiment"] == cls for r, p in zip(rows, preds))
        fp = sum(r.labels["sentiment"] != cls and p["sentiment"] == cls for r, p in zip(rows, preds))
        fn = sum(r.labels["sentiment"] == cls and p["sentiment"] != cls for r, p in zip(rows, preds))
        per_label[f"sentiment:{cls}"] = prf(tp, fp, fn)
        if tp + fn > 0:
            sent_f1s.append(per_label[f"sentiment:{cls}"]["f1"])

    def flag(name: str, gold: Callable[[Row], bool], pred: Callable[[dict[str, Any]], bool]) -> float:
        tp = sum(gold(r) and pred(p) for r, p in zip(rows, preds))
        fp = sum(not gold(r) and pred(p) for r, p in zip(rows, preds))
        fn = sum(gold(r) and not pred(p) for r, p in zip(rows, preds))
        per_label[name] = prf(tp, fp, fn)
        return per_label[name]["f1"]

    praise_f1 = flag("praise", lambda r: bool(r.labels["praise"]), lambda p: bool(p["praise"]))
    target_f1s = [flag(f"praise_target:{t}", lambda r, t=t: t in r.labels["praise_targets"],
                       lambda p, t=t: t in p["praise_targets"]) for t in PRAISE_TARGETS]
    referral_f1 = flag("referral_signal", lambda r: bool(r.labels["referral_signal"]),
                       lambda p: bool(p["referral_signal"]))
    churn_f1 = flag("churn_risk", lambda r: bool(r.labels["churn_risk"]), lambda p: bool(p["churn_risk"]))
    tp = fp = fn = 0
    for row, pred in zip(rows, preds):
        gold, got = set(row.labels["people"]), set(pred["people"])
        tp += len(gold & got)
        fp += len(got - gold)
        fn += len(gold - got)
    per_label["people"] = prf(tp, fp, fn)
    summary = {
        "categories_macro_f1": round(float(np.mean(cat_f1s)) if cat_f1s else 0.0, 4),
        "categories_micro_f1": prf(*micro)["f1"],
        "sentiment_accuracy": round(sum(r.labels["sentiment"] == p["sentiment"] for r, p in zip(rows, preds))
                                    / max(1, len(rows)), 4),
        "sentiment_macro_f1": round(float(np.mean(sent_f1s)) if sent_f1s else 0.0, 4),
        "praise_f1": praise_f1,
        "praise_target_macro_f1": round(float(np.mean(target_f1s)), 4),
        "referral_f1": referral_f1,
        "churn_f1": churn_f1,
        "people_f1": per_label["people"]["f1"],
        "n": len(rows),
    }
    return {"per_label": per_label, "summary": summary}


def cv_folds(rows: Sequence[Row], k: int, seed: int) -> list[np.ndarray]:
    """k folds of row indices, stratified on sentiment so each fold looks like the file."""
    from sklearn.model_selection import StratifiedKFold

    labels = [r.labels["sentiment"] for r in rows]
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [test for _, test in splitter.split(np.zeros(len(rows)), labels)]


__all__ = ["CHANNELS", "DataFileError", "Row", "SUMMARY_KEYS", "cv_folds", "prediction_record", "read_jsonl",
           "score_predictions"]
