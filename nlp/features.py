"""Numeric features per verbatim: embeddings, prototype similarities, rule evidence, score and channel."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nlp.rules import DocRules

CHANNELS = ("nps", "feedback_form", "support_ticket", "email_to_csm", "review_site")
SENTIMENTS = ("positive", "negative", "neutral", "mixed")
RULE_FEATURES = (
    "strong", "mild", "lukewarm", "content", "negative", "request", "gratitude", "praise_cues", "question",
    "sarcasm", "clauses", "pos_clauses", "neg_clauses", "neu_clauses", "rule_pos", "rule_neg", "rule_neu",
    "rule_mixed", "rule_praise", "t_product", "t_support", "t_person", "t_company", "people", "referral",
    "churn", "competitors", "has_score", "score", "promoter", "passive", "detractor", "low_score",
    "log_len", "exclaim", "all_caps",
) + tuple(f"ch_{c}" for c in CHANNELS) + ("emb_neg_margin", "emb_pos_margin")


@dataclass
class VerbatimFeatures:
    """Everything the heads and zero-shot rules read for one verbatim."""

    doc_embedding: np.ndarray          # (dim,)
    clause_embeddings: np.ndarray      # (k, dim)
    clause_similarity: np.ndarray      # (k, categories): clause vs category prototype
    doc_similarity: np.ndarray         # (categories,)
    rule_hits: np.ndarray              # (categories,) 1 when a keyword rule fired
    rule_vector: np.ndarray            # (len(RULE_FEATURES),): rule evidence then embedding polarity margins

    def shared(self) -> np.ndarray:
        """The block every head reads: the verbatim embedding and rule evidence."""
        return np.concatenate([self.doc_embedding, self.rule_vector]).astype(np.float32)

    def category_block(self, j: int) -> np.ndarray:
        """Per-category evidence: best clause similarity, whole-text similarity, keyword hit."""
        best = float(self.clause_similarity[:, j].max()) if self.clause_similarity.size else float(self.doc_similarity[j])
        return np.array([best, float(self.doc_similarity[j]), float(self.rule_hits[j])], dtype=np.float32)


def rule_vector(rules: DocRules, text: str, channel: str, score: int | None) -> np.ndarray:
    """Rule evidence as numbers, in RULE_FEATURES order."""
    clauses = rules.clauses
    targets: set[str] = set()
    for c in clauses:
        targets.update(c.praise_targets(channel))
    polarities = [c.polarity for c in clauses]
    sentiment = rules.sentiment
    letters = [ch for ch in text if ch.isalpha()]
    caps = sum(ch.isupper() for ch in letters) / len(letters) if letters else 0.0
    values = [
        sum(len(c.strong) for c in clauses), sum(len(c.mild) for c in clauses),
        sum(len(c.lukewarm) for c in clauses), sum(len(c.content) for c in clauses),
        sum(len(c.negative) for c in clauses), sum(len(c.request) for c in clauses),
        sum(len(c.gratitude) for c in clauses), sum(len(c.praise_cues) for c in clauses if c.praise),
        float(any(c.question for c in clauses)), float(any(c.sarcasm for c in clauses)),
        len(clauses), polarities.count("positive"), polarities.count("negative"), polarities.count("neutral"),
        float(sentiment == "positive"), float(sentiment == "negative"), float(sentiment == "neutral"),
        float(sentiment == "mixed"), float(any(c.praise for c in clauses)),
        float("product" in targets), float("support" in targets), float("person" in targets),
        float("company" in targets), len(rules.people), len(rules.referral), len(rules.churn),
        len(rules.competitors), float(score is not None), (score or 0) / 10.0,
        float(score is not None and score >= 9), float(score is not None and 7 <= score <= 8),
        float(score is not None and score <= 6), float(score is not None and score <= 3),
        math.log1p(len(text)) / 5.0, float("!" in text), float(caps > 0.6 and len(letters) > 8),
    ]
    values += [float(channel == c) for c in CHANNELS]
    vec = np.asarray(values, dtype=np.float32)
    # counts are squashed so a long review does not dominate a linear head
    return np.sign(vec) * np.log1p(np.abs(vec))
