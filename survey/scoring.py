"""Score scales and NPS buckets: the one place that knows what a 6 means for each survey kind."""

from __future__ import annotations

from typing import Literal

Bucket = Literal["promoter", "passive", "detractor"]

SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "feedback": (0, 0)}


def score_range(kind: str) -> tuple[int, int] | None:
    """Inclusive bounds of a survey kind's score, or None when the kind takes no score."""
    lo_hi = SCALES.get(kind)
    return None if lo_hi is None or lo_hi == (0, 0) else lo_hi


def bucket(kind: str, score: int | None) -> Bucket | None:
    """Promoter, passive or detractor on the survey's own scale (CSAT 4-5 and CES 6-7 count as promoters)."""
    if score is None:
        return None
    if kind == "nps":
        return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    if kind == "csat":
        return "promoter" if score >= 4 else "passive" if score == 3 else "detractor"
    if kind == "ces":
        return "promoter" if score >= 6 else "passive" if score >= 4 else "detractor"
    return None


def nps(scores: list[int]) -> float | None:
    """Net Promoter Score (-100..100) of NPS answers, None when there are none."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return 100.0 * (promoters - detractors) / len(scores)
