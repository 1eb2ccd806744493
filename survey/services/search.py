"""Semantic search over verbatims: an approximate-nearest-neighbour index (usearch HNSW) over the embeddings the
workers store, combined with the database's full-text search (SQLite FTS5, PostgreSQL tsvector), filters applied.

The index is a file per machine (`INSIGHTS_INDEX_PATH`, default instance/search/verbatims.usearch) built from
verbatim_embeddings, so it works the same on SQLite and PostgreSQL. Web processes memory-map it read-only and
reload it when a worker replaces it. It never has to be complete: embeddings analysed after the index was built
(facts with a newer analysis id than its watermark) are searched exactly, and an index built for another
database (its token differs) is ignored in favour of an exact scan, so results are always correct; the index
only makes them fast. Workers fold the tail in (`update_index`), `feedloop insights rebuild-index` rebuilds.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from flask import Flask
from sqlalchemy import column, func, literal_column, select, table
from sqlalchemy.orm import Session

from survey.models import InsightFact, VerbatimEmbedding
from survey.models.insights import SEARCH_TABLE
from survey.services.insights import InsightFilters, base_query, bits_of, conditions, estimate_rows
from survey.services.insights_facts import sync_state

log = logging.getLogger(__name__)
DIM = 384
EXACT_LIMIT = 5_000  # filtered sets up to this size are searched exactly (7.5 MB of vectors)
TAIL_LIMIT = 20_000  # newest not-yet-indexed embeddings searched exactly at query time
KEYWORD_LIMIT = 300
KEYWORD_RANK_LIMIT = 5_000  # more matches than this: rank keywords only among the meaning-based candidates
KEYWORD_WEIGHT = 0.15  # a full keyword match adds this much to a cosine similarity
MIN_SIMILARITY = 0.35  # below this, a verbatim is shown only if it also matches a keyword
RESULT_LIMIT = 200
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass
class SearchHit:
    """One ranked verbatim: cosine similarity, whether a keyword matched, and the combined score."""

    verbatim_id: int
    similarity: float
    keyword: float
    score: float


# ---------------------------------------------------------------- query embeddings


class _QueryEncoder:
    """The sentence encoder, loaded once per web process on the first search; recent queries are cached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._encoder: Any = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def embed(self, app: Flask, query: str) -> np.ndarray:
        key = query.strip().lower()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        vector = self._embed(app, query)
        with self._lock:
            self._cache[key] = vector
            while len(self._cache) > 512:
                self._cache.popitem(last=False)
        return vector

    def _embed(self, app: Flask, query: str) -> np.ndarray:
        from workers import runtime

        engine = runtime.current_engine()  # a worker (or the tests) already holds the full engine
        if engine is not None:
            return np.asarray(engine.embed([query])[0], dtype=np.float32)
        from nlp.encoder import Encoder
        from nlp.pipeline import normalize_text

        with self._lock:
            if self._encoder is None:
                self._encoder = Encoder.load(app.config.get("NLP_MODEL_PATH") or None)
        return np.asarray(self._encoder.embed([normalize_text(query)])[0], dtype=np.float32)


query_encoder = _QueryEncoder()


# ---------------------------------------------------------------- the index file


def index_path(app: Flask) -> Path:
    """Where this machine keeps the vector index."""
    configured = app.config.get("INSIGHTS_INDEX_PATH")
    return Path(configured) if configured else Path(app.instance_path) / "search" / "verbatims.usearch"


def _meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


def read_meta(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(_meta_path(path).read_text())
    except (OSError, ValueError):
        return None


def _new_index() -> Any:
    from usearch.index import Index

    # i8 quantisation of normalised vectors: a quarter of the memory, recall close to f32 on sentence embeddings
    return Index(ndim=DIM, metric="cos", dtype="i8", connectivity=16, expansion_add=128, expansion_search=256)


def _vectors(blobs: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), DIM).astype(np.float32, copy=False)


def _save(index: Any, path: Path, meta: dict[str, Any]) -> None:
    """Write next to the old file and rename over it, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    index.save(str(tmp))
    meta_tmp = _meta_path(tmp)
    meta_tmp.write_text(json.dumps(meta))
    os.replace(tmp, path)
    os.replace(meta_tmp, _meta_path(path))


def build_index(session: Session, path: Path, batch: int = 20_000, threads: int = 0,
                progress: Any = None) -> dict[str, Any]:
    """Index every stored embedding from scratch (the `rebuild-index` command and the first update)."""
    state = sync_state(session)
    watermark = int(session.scalar(select(func.coalesce(func.max(InsightFact.analysis_id), 0))) or 0)
    session.commit()  # the token must exist before an index claims it
    index = _new_index()
    last = 0
    while True:
        rows = session.execute(select(VerbatimEmbedding.verbatim_id, VerbatimEmbedding.vector)
                               .where(VerbatimEmbedding.verbatim_id > last, VerbatimEmbedding.dim == DIM)
                               .order_by(VerbatimEmbedding.verbatim_id).limit(batch)).all()
        if not rows:
            break
        keys = np.asarray([r[0] for r in rows], dtype=np.uint64)
        index.add(keys, _vectors([r[1] for r in rows]), threads=threads)
        last = rows[-1][0]
        if progress:
            progress(len(index))
    meta = {"token": state.token, "watermark": watermark, "count": len(index), "dim": DIM}
    _save(index, path, meta)
    return meta


def update_index(session: Session, path: Path) -> dict[str, Any]:
    """Fold embeddings analysed since the index was built into it (rebuilding if it belongs elsewhere)."""
    from usearch.index import Index

    meta = read_meta(path)
    state = sync_state(session)
    if meta is None or meta.get("token") != state.token or not path.exists():
        return {"rebuilt": True, **build_index(session, path)}
    watermark = int(meta["watermark"])
    newest = int(session.scalar(select(func.coalesce(func.max(InsightFact.analysis_id), 0))) or 0)
    if newest <= watermark:
        return {"rebuilt": False, "added": 0, **meta}
    index = Index.restore(str(path))
    added = 0
    last = watermark
    while True:
        rows = session.execute(
            select(InsightFact.analysis_id, VerbatimEmbedding.verbatim_id, VerbatimEmbedding.vector)
            .join(VerbatimEmbedding, VerbatimEmbedding.verbatim_id == InsightFact.verbatim_id)
            .where(InsightFact.analysis_id > last, InsightFact.analysis_id <= newest)
            .order_by(InsightFact.analysis_id).limit(20_000)).all()
        if not rows:
            break
        keys = np.asarray([r[1] for r in rows], dtype=np.uint64)
        fresh = ~np.asarray(index.contains(keys), dtype=bool)
        if fresh.any():  # re-analysis keeps the embedding: only verbatims new to the index are added
            index.add(keys[fresh], _vectors([r[2] for r, f in zip(rows, fresh, strict=True) if f]))
            added += int(fresh.sum())
        last = rows[-1][0]
    meta = {**meta, "watermark": newest, "count": len(index)}
    _save(index, path, meta)
    return {"rebuilt": False, "added": added, **meta}


class _IndexCache:
    """The memory-mapped index of this process, reopened when a worker replaces the file."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[float, Any, dict[str, Any]]] = {}

    def get(self, path: Path) -> tuple[Any, dict[str, Any]] | None:
        from usearch.index import Index

        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        key = str(path)
        with self._lock:
            cached = self._loaded.get(key)
            if cached and cached[0] == mtime:
                return cached[1], cached[2]
            meta = read_meta(path)
            if meta is None:
                return None
            try:
                index = Index.restore(key, view=True)
            except Exception:  # a file being replaced right now: search exactly this time
                log.warning("vector index %s could not be opened", key, exc_info=True)
                return None
            if index is None:
                return None
            self._loaded[key] = (mtime, index, meta)
            return index, meta

    def forget(self) -> None:
        with self._lock:
            self._loaded.clear()


index_cache = _IndexCache()


# ---------------------------------------------------------------- searching


def _filtered(session: Session, f: InsightFilters, ids: list[int]) -> set[int]:
    """Which of these verbatims pass the filters (and still exist)."""
    allowed: set[int] = set()
    for start in range(0, len(ids), 5000):
        part = ids[start:start + 5000]
        allowed.update(session.scalars(base_query(f, bits_of(session)).where(InsightFact.verbatim_id.in_(part))))
    return allowed


def _exact(session: Session, query: np.ndarray, id_query: Any, limit: int) -> dict[int, float]:
    """Cosine similarity of every verbatim the id query selects (small sets, or when no index is usable)."""
    best: dict[int, float] = {}
    last = 0
    while True:
        rows = session.execute(
            select(VerbatimEmbedding.verbatim_id, VerbatimEmbedding.vector)
            .where(VerbatimEmbedding.verbatim_id.in_(id_query), VerbatimEmbedding.verbatim_id > last,
                   VerbatimEmbedding.dim == DIM)
            .order_by(VerbatimEmbedding.verbatim_id).limit(10_000)).all()
        if not rows:
            break
        sims = _vectors([r[1] for r in rows]) @ query
        for (vid, _), sim in zip(rows, sims, strict=True):
            best[vid] = float(sim)
        if len(best) > limit * 4:
            best = dict(sorted(best.items(), key=lambda kv: -kv[1])[:limit])
        last = rows[-1][0]
    return dict(sorted(best.items(), key=lambda kv: -kv[1])[:limit])


def vector_candidates(app: Flask, session: Session, f: InsightFilters, query: np.ndarray,
                      want: int = RESULT_LIMIT, filtered_count: int | None = None) -> dict[int, float]:
    """Nearest verbatims that pass the filters: verbatim id -> cosine similarity."""
    state = sync_state(session)
    loaded = index_cache.get(index_path(app))
    usable = loaded is not None and loaded[1].get("token") == state.token
    has_filters = bool(conditions(f, bits=bits_of(session)))
    if not usable or (has_filters and filtered_count is not None and filtered_count <= EXACT_LIMIT):
        return _exact(session, query, base_query(f, bits_of(session)), want)
    index, meta = loaded  # type: ignore[misc]
    found: dict[int, float] = {}
    total = max(len(index), 1)
    # expected matches in the top k are k * (filtered / total): ask for enough to fill a page of results
    ratio = (filtered_count or total) / total if has_filters else 1.0
    k = min(total, max(want * 2, int(want * 2 / max(ratio, 1e-4))), 50_000)
    matches = index.search(query, k)
    keys = [int(x) for x in matches.keys]
    sims = [1.0 - float(d) for d in matches.distances]
    allowed = _filtered(session, f, keys) if keys else set()
    for key, sim in zip(keys, sims, strict=True):
        if key in allowed:
            found[key] = sim
    # the tail: analysed after the index was built
    tail = (select(InsightFact.verbatim_id).where(InsightFact.analysis_id > int(meta["watermark"]),
                                                   InsightFact.has_text.is_(True), *conditions(f, bits=bits_of(session)))
            .order_by(InsightFact.analysis_id.desc()).limit(TAIL_LIMIT))
    found.update(_exact(session, query, tail, want))
    return found


def keyword_candidates(session: Session, f: InsightFilters, q: str, limit: int = KEYWORD_LIMIT,
                       within: list[int] | None = None) -> dict[int, float]:
    """Full-text matches, filters applied: verbatim id -> relevance scaled to 0..1.

    Every word must match first (selective, and the stronger signal); only when that finds little do verbatims
    matching any of the words count, so a common word cannot make the database rank half the history.
    """
    words = [w.lower() for w in _WORD.findall(q)][:12]
    if not words:
        return {}
    found = _keyword_query(session, f, words, "and", limit, within)
    if len(found) < 10 and len(words) > 1:
        for vid, rank in _keyword_query(session, f, words, "or", limit, within).items():
            found.setdefault(vid, rank * 0.5)  # a partial match counts for less
    return found


def _keyword_query(session: Session, f: InsightFilters, words: list[str], mode: str, limit: int,
                   within: list[int] | None = None) -> dict[int, float]:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        fts = table(SEARCH_TABLE, column("verbatim_id"), column("document"))
        tsq = func.to_tsquery(literal_column("'english'"), (" & " if mode == "and" else " | ").join(words))
        rank = func.ts_rank_cd(fts.c.document, tsq)
        query = select(fts.c.verbatim_id, rank).where(fts.c.document.op("@@")(tsq))
        if within is not None and (estimate_rows(session, query) or 0) > KEYWORD_RANK_LIMIT:
            # words this common say little on their own: they only boost the meaning-based candidates
            query = query.where(fts.c.verbatim_id.in_(within or [-1]))
        else:
            query = query.where(fts.c.verbatim_id.in_(base_query(f, bits_of(session))))
    elif dialect == "sqlite":
        fts = table(SEARCH_TABLE, column("rowid"))
        match = (" AND " if mode == "and" else " OR ").join('"' + w.replace('"', "") + '"' for w in words)
        rank = -func.bm25(literal_column(SEARCH_TABLE))
        query = (select(fts.c.rowid, rank).where(literal_column(SEARCH_TABLE).op("MATCH")(match))
                 .where(fts.c.rowid.in_(base_query(f, bits_of(session)))))  # SQLite serves small histories: rank every match
    else:
        return {}
    rows = session.execute(query.order_by(rank.desc()).limit(limit)).all()
    if not rows:
        return {}
    top = max(float(r[1]) for r in rows) or 1.0
    return {int(r[0]): max(float(r[1]), 0.0) / top for r in rows}


def search(app: Flask, session: Session, f: InsightFilters, limit: int = RESULT_LIMIT,
           filtered_count: int | None = None) -> list[SearchHit]:
    """Rank verbatims for a search (`q`) or "more like this" (`like`): embedding similarity plus keyword match."""
    exclude: set[int] = set()
    keyword: dict[int, float] = {}
    if f.like is not None:
        blob = session.scalar(select(VerbatimEmbedding.vector).where(VerbatimEmbedding.verbatim_id == f.like))
        if blob is None:
            return []
        query = _vectors([blob])[0]
        exclude.add(f.like)
    else:
        query = query_encoder.embed(app, f.q)
    query = query / (np.linalg.norm(query) or 1.0)
    vectors = vector_candidates(app, session, f, query, want=limit, filtered_count=filtered_count)
    if f.q:
        keyword = keyword_candidates(session, f, f.q, within=list(vectors))
        missing = [vid for vid in keyword if vid not in vectors]
        if missing:  # keyword-only matches still get their true similarity
            vectors.update(_exact(session, query, select(VerbatimEmbedding.verbatim_id)
                                  .where(VerbatimEmbedding.verbatim_id.in_(missing)), len(missing)))
    hits = []
    for vid, sim in vectors.items():
        kw = keyword.get(vid, 0.0)
        if vid in exclude or (sim < MIN_SIMILARITY and kw == 0.0):
            continue
        hits.append(SearchHit(vid, sim, kw, sim + KEYWORD_WEIGHT * kw))
    for vid, kw in keyword.items():  # matched by keyword but without an embedding yet (analysis pending)
        if vid not in vectors and vid not in exclude:
            hits.append(SearchHit(vid, 0.0, kw, KEYWORD_WEIGHT * kw))
    hits.sort(key=lambda h: (-h.score, -h.verbatim_id))
    return hits[:limit]
