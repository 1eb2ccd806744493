"""Emerging themes: cluster the recent period's verbatim embeddings, name each cluster from its distinctive
lemmas, compare it with the period before and with the taxonomy, and flag what is new or growing.

Clustering: PCA to 32 dimensions (HDBSCAN's density estimates degrade in 384) then scikit-learn's HDBSCAN.
Names: class-based TF-IDF (BERTopic's c-TF-IDF) over spaCy lemmas and lemma bigrams of each cluster.
Growth: the previous period's verbatims within the cluster's radius of its centroid, compared as shares of each
period's volume so a busier fortnight does not make everything look like it grew.
Coverage: the share of the cluster's verbatims tagged with its most common category.
"""

from __future__ import annotations

import json
import logging
import math
import re
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import (
    Category,
    InsightFact,
    InsightFactCategory,
    OutboxEmail,
    Theme,
    ThemeMember,
    ThemeRun,
    User,
    Verbatim,
    VerbatimEmbedding,
)

log = logging.getLogger(__name__)
MAX_POINTS = 20_000


@dataclass
class ThemeSettings:
    """Thresholds, from the app config (INSIGHTS_THEME_*) with these defaults."""

    period_days: int = 14
    min_cluster_size: int = 5
    growth_threshold: float = 1.5  # emerging when its share of feedback grew by half or more
    min_emerging_size: int = 5
    coverage_threshold: float = 0.4  # below this share tagged with one category, the taxonomy misses it

    @classmethod
    def from_config(cls, config: Any) -> ThemeSettings:
        return cls(
            period_days=int(config.get("INSIGHTS_THEME_PERIOD_DAYS", cls.period_days)),
            min_cluster_size=int(config.get("INSIGHTS_THEME_MIN_CLUSTER", cls.min_cluster_size)),
            growth_threshold=float(config.get("INSIGHTS_THEME_GROWTH", cls.growth_threshold)),
            min_emerging_size=int(config.get("INSIGHTS_THEME_MIN_EMERGING", cls.min_emerging_size)),
            coverage_threshold=float(config.get("INSIGHTS_THEME_COVERAGE", cls.coverage_threshold)),
        )


def _period_vectors(session: Session, start: datetime, end: datetime) -> tuple[list[int], list[str], np.ndarray,
                                                                                list[int], list[str | None]]:
    rows = session.execute(
        select(InsightFact.verbatim_id, InsightFact.id, InsightFact.bucket, Verbatim.text, VerbatimEmbedding.vector)
        .join(Verbatim, Verbatim.id == InsightFact.verbatim_id)
        .join(VerbatimEmbedding, VerbatimEmbedding.verbatim_id == InsightFact.verbatim_id)
        .where(InsightFact.has_text.is_(True), InsightFact.created_at >= start, InsightFact.created_at < end,
               VerbatimEmbedding.dim == 384)
        .order_by(InsightFact.created_at.desc()).limit(MAX_POINTS)
    ).all()
    if not rows:
        return [], [], np.zeros((0, 384), dtype=np.float32), [], []
    vectors = np.frombuffer(b"".join(r[4] for r in rows), dtype="<f4").reshape(len(rows), 384).astype(np.float32)
    return [r[0] for r in rows], [r[3] for r in rows], vectors, [r[1] for r in rows], [r[2] for r in rows]


MIN_COHERENCE = 0.55  # mean cosine similarity of members to their centroid; looser groups are not one theme


def _hdbscan(vectors: np.ndarray, min_cluster_size: int, single: bool) -> np.ndarray:
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    n = len(vectors)
    if n < max(2 * min_cluster_size, 4):
        return np.full(n, -1)
    points = vectors
    if n > 48:
        points = PCA(n_components=min(32, n - 1), random_state=0).fit_transform(vectors)
    model = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=max(2, min_cluster_size // 2), copy=True,
                    allow_single_cluster=single)
    return model.fit_predict(points)


def coherence(vectors: np.ndarray) -> float:
    """Mean cosine similarity of normalised vectors to their centroid."""
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    return float((vectors @ centroid).mean())


def cluster(vectors: np.ndarray, min_cluster_size: int) -> np.ndarray:
    """HDBSCAN labels (-1 is noise) for L2-normalised vectors, keeping only coherent clusters.

    A loose cluster (a catch-all of mixed feedback) is clustered again on its own members once, so the themes
    inside it still surface; a quiet period whose only structure is one theme among one-offs is clustered with
    allow_single_cluster so that theme is not lost as noise.
    """
    labels = _hdbscan(vectors, min_cluster_size, single=False)
    if not (labels >= 0).any():
        labels = _hdbscan(vectors, min_cluster_size, single=True)
    out = np.full(len(vectors), -1)
    next_label = 0
    for label in sorted(set(labels.tolist()) - {-1}):
        idx = np.flatnonzero(labels == label)
        if coherence(vectors[idx]) >= MIN_COHERENCE:
            out[idx] = next_label
            next_label += 1
            continue
        if len(idx) < 2 * min_cluster_size:
            continue
        sub = _hdbscan(vectors[idx], min_cluster_size, single=False)
        for sub_label in sorted(set(sub.tolist()) - {-1}):
            members = idx[sub == sub_label]
            if coherence(vectors[members]) >= MIN_COHERENCE:
                out[members] = next_label
                next_label += 1
    return out


def absorb_noise(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Give HDBSCAN's noise points to the nearest cluster when they are as close to its centroid as its own
    least typical member (HDBSCAN keeps only the dense core; people count every verbatim about it)."""
    found = sorted(set(labels.tolist()) - {-1})
    noise = np.flatnonzero(labels == -1)
    if not found or not len(noise):
        return labels
    centroids, radii = [], []
    for label in found:
        members = vectors[labels == label]
        centroid = members.mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        centroids.append(centroid)
        radii.append(max(0.5, float((members @ centroid).min())))
    sims = vectors[noise] @ np.asarray(centroids).T
    best = sims.argmax(axis=1)
    out = labels.copy()
    for row, (i, j) in enumerate(zip(noise, best, strict=True)):
        if sims[row, j] >= radii[j]:
            out[i] = found[j]
    return out


_KEEP = re.compile(r"^[a-z][a-z\-']+$")


def lemma_terms(nlp: Any, texts: list[str]) -> list[list[str]]:
    """Content lemmas and adjacent-lemma bigrams of each text (the vocabulary of c-TF-IDF)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    out = []
    for doc in nlp.pipe(texts, batch_size=256):
        lemmas = [t.lemma_.lower() for t in doc]
        # people's names say who wrote or was praised, not what the theme is about
        keep = [bool(_KEEP.match(lm)) and lm not in STOP_WORDS and len(lm) > 2 and t.ent_type_ != "PERSON"
                for lm, t in zip(lemmas, doc, strict=True)]
        terms = [lm for lm, k in zip(lemmas, keep, strict=True) if k]
        terms += [f"{a} {b}" for (a, ka), (b, kb) in zip(zip(lemmas, keep), zip(lemmas[1:], keep[1:]))
                  if ka and kb]
        out.append(terms)
    return out


def class_tfidf(docs_terms: list[list[str]], labels: np.ndarray, top: int = 6) -> dict[int, list[str]]:
    """The most distinctive terms of each cluster: c-TF-IDF = tf(term, cluster) * log(1 + A / f(term)).

    tf is the term's frequency within the cluster's concatenated documents (normalised by the cluster's length),
    f is the term's frequency over all clusters and A the average number of terms per cluster.
    """
    per_class: dict[int, Counter[str]] = {}
    for terms, label in zip(docs_terms, labels, strict=True):
        per_class.setdefault(int(label), Counter()).update(terms)
    overall: Counter[str] = Counter()
    for counts in per_class.values():
        overall.update(counts)
    avg = sum(overall.values()) / max(len(per_class), 1)
    names: dict[int, list[str]] = {}
    for label, counts in per_class.items():
        if label < 0:
            continue
        length = sum(counts.values()) or 1
        scored = {t: (c / length) * math.log(1 + avg / overall[t]) for t, c in counts.items() if c >= 2}
        ranked = sorted(scored, key=lambda t: (-scored[t], t))
        chosen: list[str] = []
        for term in ranked:  # a bigram makes its own words redundant, and the other way round
            if any(term in c.split() or c in term.split() or term in c or c in term for c in chosen):
                continue
            chosen.append(term)
            if len(chosen) == top:
                break
        names[label] = chosen
    return names


def detect_themes(session: Session, nlp: Any, settings: ThemeSettings, period_end: datetime | None = None,
                  force: bool = False) -> ThemeRun:
    """Cluster the period ending at period_end (default: now, to the hour) and store its themes; idempotent."""
    end = (period_end or utcnow()).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=settings.period_days)
    run = session.scalar(select(ThemeRun).where(ThemeRun.period_start == start, ThemeRun.period_end == end))
    if run is not None and run.status == "done" and not force:
        return run
    if run is None:
        run = ThemeRun(period_start=start, period_end=end)
        session.add(run)
    else:
        session.execute(delete(Theme).where(Theme.run_id == run.id))
    run.status, run.error, run.n_themes = "running", None, 0
    session.flush()
    ids, texts, vectors, fact_ids, buckets = _period_vectors(session, start, end)
    _pids, _ptexts, previous, _pf, _pb = _period_vectors(session, start - timedelta(days=settings.period_days), start)
    run.n_verbatims = len(ids)
    labels = absorb_noise(vectors, cluster(vectors, settings.min_cluster_size))
    names = class_tfidf(lemma_terms(nlp, texts), labels) if (labels >= 0).any() else {}
    tags = _tags(session, fact_ids)
    for label in sorted(set(labels.tolist()) - {-1}):
        members = np.flatnonzero(labels == label)
        centroid = vectors[members].mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        sims = vectors[members] @ centroid
        radius = max(0.45, float(np.percentile(sims, 10)))
        previous_size = int((previous @ centroid >= radius).sum()) if len(previous) else 0
        counts = Counter(k for i in members for k in tags.get(fact_ids[i], ()))
        nearest, tagged = counts.most_common(1)[0] if counts else (None, 0)
        coverage = tagged / len(members)
        detractors = sum(1 for i in members if buckets[i] == "detractor")
        scored = sum(1 for i in members if buckets[i] is not None)
        theme = Theme(
            run_id=run.id, label=" · ".join(names.get(label, [])[:3]) or "unnamed theme",
            terms=names.get(label, []), example_ids=[ids[i] for i in members[np.argsort(-sims)][:5]],
            size=len(members), previous_size=previous_size,
            detractor_share=detractors / scored if scored else 0.0,
            nearest_category=nearest, coverage=round(coverage, 3), centroid=centroid.astype("<f4").tobytes(),
        )
        theme.reasons = _reasons(theme, len(ids), len(previous), settings)
        theme.emerging = bool(theme.reasons)
        theme.status = "emerging" if theme.emerging else ("new" if previous_size == 0 else "stable")
        session.add(theme)
        session.flush()
        session.add_all([ThemeMember(theme_id=theme.id, verbatim_id=ids[i]) for i in members])
        run.n_themes += 1
    run.status = "done"
    run.finished_at = utcnow()
    session.flush()
    return run


def _tags(session: Session, fact_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for start in range(0, len(fact_ids), 5000):
        for fid, key in session.execute(select(InsightFactCategory.fact_id, InsightFactCategory.category_key)
                                        .where(InsightFactCategory.fact_id.in_(fact_ids[start:start + 5000]))):
            out.setdefault(fid, []).append(key)
    return out


def _reasons(theme: Theme, n_recent: int, n_previous: int, settings: ThemeSettings) -> list[str]:
    """Why a theme is emerging, in words; empty when it is not."""
    if theme.size < settings.min_emerging_size:
        return []
    reasons = []
    share_now = theme.size / max(n_recent, 1)
    share_before = theme.previous_size / max(n_previous, 1)
    if theme.previous_size == 0:
        reasons.append(f"new: {theme.size} verbatims, none like them in the previous period")
    elif share_now >= settings.growth_threshold * share_before:
        reasons.append(f"grew {share_now / share_before:.1f}× ({theme.previous_size} → {theme.size} verbatims)")
    if theme.coverage < settings.coverage_threshold:
        best = f"best fit {theme.nearest_category.replace('_', ' ')} at {theme.coverage:.0%}" \
            if theme.nearest_category else "untagged"
        reasons.append(f"no category covers it ({best})")
    return reasons


def latest_run(session: Session) -> ThemeRun | None:
    return session.scalar(select(ThemeRun).where(ThemeRun.status == "done")
                          .order_by(ThemeRun.period_end.desc(), ThemeRun.id.desc()).limit(1))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:50] or "theme"


def promote(session: Session, theme: Theme, name: str, description: str) -> Category:
    """Turn a theme into a taxonomy category whose seed examples are the theme's most central verbatims."""
    name = name.strip()[:120] or theme.label
    key = slug(name)
    taken = set(session.scalars(select(Category.key)))
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    texts = [t for t in session.scalars(select(Verbatim.text).where(Verbatim.id.in_(theme.example_ids))) if t]
    category = Category(key=key, name=name, description=description.strip() or f"Emerging theme: {theme.label}",
                        seed_examples=[t[:300] for t in texts[:5]])
    session.add(category)
    session.flush()
    theme.status = "promoted"
    theme.category_id = category.id
    session.flush()
    return category


# ---------------------------------------------------------------- notifications


def digest_text(run: ThemeRun, themes: list[Theme], link: str) -> str:
    lines = [f"Emerging feedback themes, {run.period_start:%d %b} – {run.period_end:%d %b %Y}:", ""]
    for t in themes:
        lines.append(f"• {t.label} ({t.size} verbatims): {'; '.join(t.reasons)}")
    lines += ["", f"Review them: {link}"]
    return "\n".join(lines)


def notify(session: Session, run: ThemeRun, config: Any, link: str) -> dict[str, Any]:
    """Email the product team and post to the webhook once per run, if anything is emerging."""
    if run.notified_at is not None:
        return {"skipped": "already notified"}
    emerging = [t for t in run.themes if t.emerging and t.status == "emerging"]
    run.notified_at = utcnow()
    if not emerging:
        session.flush()
        return {"emerging": 0}
    body = digest_text(run, emerging, link)
    subject = f"{len(emerging)} emerging feedback theme{'s' if len(emerging) != 1 else ''}: {emerging[0].label}"
    outbox_ids = []
    for user in session.scalars(select(User).where(User.role.in_(("product", "admin")), User.active.is_(True))):
        key = f"themes-digest:{run.id}:{user.id}"
        if session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.event_key == key)):
            continue
        email = OutboxEmail(to_email=user.email, subject=subject[:300], text_body=body,
                            html_body="<pre>" + _escape(body) + "</pre>", trigger="event", event_key=key)
        session.add(email)
        session.flush()
        outbox_ids.append(email.id)
    session.flush()
    webhook = config.get("INSIGHTS_WEBHOOK_URL")
    return {"emerging": len(emerging), "outbox_ids": outbox_ids, "webhook": webhook,
            "webhook_payload": {"text": f"*{subject}*\n{body}"} if webhook else None}


def post_webhook(url: str, payload: dict[str, Any], timeout: float = 10) -> int:
    """POST a Slack-compatible {"text": ...} message; raises on failure so the job retries."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (an admin-set URL)
        return int(response.status)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
