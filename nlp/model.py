"""Trained heads learnt from human corrections, stored as a safe npz blob (no pickle)."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MODEL_FORMAT = 1


class TrainedModelError(ValueError):
    """A trained-model blob is unreadable or was made for another encoder."""


@dataclass
class LinearHead:
    """A standardised linear classifier: binary (one row) or multi-class (one row per class)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # (classes, features) or (1, features)
    bias: np.ndarray     # (classes,) or (1,)
    threshold: float = 0.5
    classes: list[str] = field(default_factory=list)
    mode: str = "head"   # binary flags: "head", "rule" (the rule alone was better) or "or"

    def decision(self, x: np.ndarray) -> np.ndarray:
        """Raw scores for a (n, features) matrix."""
        z = (x - self.mean) / self.scale
        return z @ self.weights.T + self.bias

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Positive-class probability (binary) or class probabilities (multi-class)."""
        s = self.decision(x)
        if s.shape[1] == 1:
            return 1.0 / (1.0 + np.exp(-s[:, 0]))
        s = s - s.max(axis=1, keepdims=True)
        e = np.exp(s)
        return e / e.sum(axis=1, keepdims=True)


@dataclass
class TrainedModel:
    """All heads of one training run plus what they were trained for."""

    heads: dict[str, LinearHead]
    meta: dict[str, Any]

    def to_bytes(self) -> bytes:
        """Serialize as npz: arrays plus a JSON metadata record."""
        arrays: dict[str, np.ndarray] = {}
        head_meta: dict[str, Any] = {}
        for name, head in self.heads.items():
            for part in ("mean", "scale", "weights", "bias"):
                arrays[f"{name}.{part}"] = np.asarray(getattr(head, part), dtype=np.float32)
            head_meta[name] = {"threshold": float(head.threshold), "classes": list(head.classes), "mode": head.mode}
        meta = dict(self.meta, format=MODEL_FORMAT, heads=head_meta)
        arrays["__meta__"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> TrainedModel:
        """Read a blob written by to_bytes, refusing anything else."""
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as data:
                meta = json.loads(bytes(data["__meta__"].tobytes()).decode("utf-8"))
                if meta.get("format") != MODEL_FORMAT:
                    raise TrainedModelError(f"unsupported trained-model format {meta.get('format')!r}")
                heads = {}
                for name, info in meta["heads"].items():
                    heads[name] = LinearHead(
                        mean=data[f"{name}.mean"], scale=data[f"{name}.scale"], weights=data[f"{name}.weights"],
                        bias=data[f"{name}.bias"], threshold=float(info["threshold"]),
                        classes=list(info.get("classes", [])), mode=str(info.get("mode", "head")))
        except TrainedModelError:
            raise
        except Exception as exc:  # zip, key and JSON errors all mean the same thing to the caller
            raise TrainedModelError(f"cannot read trained model: {exc}") from exc
        return cls(heads=heads, meta=meta)


def blob_hash(blob: bytes | None) -> str:
    """Short content hash of a trained blob for model versions."""
    return hashlib.sha256(blob).hexdigest()[:8] if blob else "zs"
