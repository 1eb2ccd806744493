"""Throughput of the full analysis against the raw encoder, measured in one run on the same comments."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from nlp.types import VerbatimInput

if TYPE_CHECKING:
    from nlp.engine import Engine

_SHORT = ["great", "n/a", "ok", "love it", "good", "-", "no comment", "nothing to add", "fine", "👍", "meh",
          "awesome product", "all good", "thanks"]
_SUBJECTS = ["the dashboard", "the mobile app", "reporting", "the API", "support", "our account manager",
             "the new editor", "search", "billing", "the Slack integration", "onboarding", "the docs",
             "exports", "the admin console", "permissions", "the calendar sync", "notifications"]
_GOOD = ["is fantastic", "works really well", "saves us hours every week", "is fast and reliable",
         "has been a game changer", "is easy to use", "keeps getting better", "is super helpful"]
_BAD = ["keeps crashing", "is painfully slow", "is confusing", "broke after the last update",
        "is too expensive for what it does", "never answers on time", "is missing basic options",
        "shows the wrong numbers", "times out on large accounts", "logs us out every day"]
_ASKS = ["Please add a dark mode.", "Would love an Outlook integration.", "Can you add SSO on the standard plan?",
         "Wish we could schedule reports.", "Need a way to bulk edit records."]
_NAMES = ["Maria", "Tom", "Aisha", "Kenji", "Lucas", "Priya", "Olga", "Sam"]
_TAILS = ["", " We are looking at alternatives.", " Already recommended you to two friends.",
          " Happy to be a reference.", " Thanks!", " Not renewing if this continues."]


def realistic_comments(n: int, seed: int = 7) -> list[str]:
    """Synthetic but realistic NPS comments: many short repeats, some long multi-clause ones."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.2:
            out.append(rng.choice(_SHORT))
            continue
        parts = [f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_GOOD)}"]
        if roll < 0.7:
            parts.append(f"but {rng.choice(_SUBJECTS)} {rng.choice(_BAD)}")
        text = ", ".join(parts) + "."
        if rng.random() < 0.4:
            text += " " + rng.choice(_ASKS)
        if rng.random() < 0.2:
            text = f"{rng.choice(_NAMES)} from support was great. " + text
        if rng.random() < 0.3:
            text += f" {rng.choice(_SUBJECTS).capitalize()} {rng.choice(_BAD)} since {rng.randint(2, 28)} days."
        text += rng.choice(_TAILS)
        out.append(text)
    return out


def run_bench(engine: Engine, n: int = 2000, chunk: int = 250,
              progress: Callable[[int], None] | None = None) -> dict[str, float | int]:
    """Raw encode vs full pipeline, interleaved chunk by chunk so machine noise hits both alike."""
    texts = realistic_comments(n)
    engine.encoder.raw_encode(texts[:16])  # warm-up: first calls allocate
    engine.analyze([VerbatimInput(text=t) for t in texts[:16]])
    engine.encoder.cache_clear()
    raw_s = pipe_s = 0.0
    for start in range(0, n, chunk):
        part = texts[start:start + chunk]
        t0 = time.perf_counter()
        engine.encoder.raw_encode(part)
        t1 = time.perf_counter()
        engine.analyze([VerbatimInput(text=t, channel="nps", score=7) for t in part])
        t2 = time.perf_counter()
        raw_s += t1 - t0
        pipe_s += t2 - t1
        if progress:
            progress(len(part))
    raw = n / raw_s
    pipe = n / pipe_s
    return {"n": n, "raw_per_s": round(raw, 2), "pipeline_per_s": round(pipe, 2), "ratio": round(pipe / raw, 3),
            "device": engine.encoder.device, "unique_texts": len(set(texts))}
