"""The NLP engine the workers call: load once per process, then analyse verbatims in batches."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from spacy.tokens import Doc

from nlp.category_rules import CATEGORY_KEYWORDS
from nlp.encoder import Encoder, EncoderLoadError, default_model_path
from nlp.features import CHANNELS, SENTIMENTS, VerbatimFeatures, rule_vector
from nlp.model import TrainedModel, TrainedModelError, blob_hash
from nlp.pipeline import build_pipeline, normalize_text, set_known_people
from nlp.rules import RULES_VERSION, ClauseRules, DocRules, RuleAnnotator
from nlp.taxonomy import Taxonomy
from nlp.types import (PRAISE_TARGETS, CategoryHit, ClauseAnalysis, Evidence, VerbatimAnalysis,
                       VerbatimInput)

MODEL_PATH_SETTING = "FEEDLOOP_NLP_MODEL_PATH"
DEFAULT_COMPETITORS: tuple[str, ...] = (
    "Salesforce", "HubSpot", "Pipedrive", "Zoho", "Microsoft Dynamics", "Freshsales", "Monday.com", "Clari",
    "Gong", "Outreach", "Salesloft", "Apollo", "Qualtrics", "Medallia", "SurveyMonkey", "Typeform", "Delighted",
    "Zendesk", "Intercom", "Freshdesk",
)
# Zero-shot decision: a keyword hit confirmed by some similarity, or a close prototype alone; categories
# without keyword rules (a user's own taxonomy) rely on similarity only, so their bar is lower.
# Calibrated once on dev.jsonl: keywords+similarity 0.83 macro F1, similarity alone 0.57.
ZS_SIM_WITH_RULE = 0.20
ZS_SIM_ALONE = 0.55
ZS_SIM_NO_RULES = 0.40
ANALYZE_CHUNK = 256
POLARITIES = ("negative", "positive", "neutral")
# a clause with no lexicon evidence takes the polarity its embedding is clearly closest to
POLARITY_MARGIN = 0.08
DATA_DIR = Path(__file__).resolve().parent / "data"


class EngineLoadError(RuntimeError):
    """The engine could not start: bad model path, unreadable trained model, bad taxonomy."""


@dataclass
class EngineSettings:
    """How to build an Engine; everything has a working default."""

    model_path: str | None = None
    device: str | None = None
    taxonomy: Taxonomy | None = None
    competitors: tuple[str, ...] = DEFAULT_COMPETITORS
    trained: bytes | None = None
    known_people: tuple[str, ...] = ()
    batch_size: int = 32
    cache_size: int = 50_000

    @classmethod
    def from_env(cls, **overrides: object) -> EngineSettings:
        """Settings from FEEDLOOP_NLP_MODEL_PATH and FEEDLOOP_NLP_DEVICE, then keyword overrides."""
        base = cls(model_path=os.environ.get(MODEL_PATH_SETTING) or None,
                   device=os.environ.get("FEEDLOOP_NLP_DEVICE") or None)
        return replace(base, **overrides)  # type: ignore[arg-type]


@dataclass
class _Prepared:
    """One verbatim after the spaCy pass, rules and the transformer pass."""

    item: VerbatimInput
    text: str
    doc: Doc
    rules: DocRules
    features: VerbatimFeatures = field(init=False)


class Engine:
    """Root causes, sentiment, praise, people, referral and churn signals for verbatims."""

    def __init__(self, settings: EngineSettings, encoder: Encoder, taxonomy: Taxonomy,
                 trained: TrainedModel | None, nlp: object | None = None,
                 annotator: RuleAnnotator | None = None, prototypes: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> None:
        self.settings = settings
        self.encoder = encoder
        self.taxonomy = taxonomy
        self.trained = trained
        self.nlp = nlp if nlp is not None else build_pipeline(settings.known_people)
        self.annotator = annotator if annotator is not None else RuleAnnotator(self.nlp, settings.competitors)
        self._proto_vectors, self._proto_owner = prototypes if prototypes is not None else self._prototypes()
        self._polarity_vectors, self._polarity_owner = self._polarity_prototypes()
        self.model_version = self._version()

    # --- construction -----------------------------------------------------

    @classmethod
    def load(cls, settings: EngineSettings | None = None) -> Engine:
        """Load the sentence-transformer and build the spaCy pipeline (slow: once per worker process)."""
        settings = settings or EngineSettings()
        if settings.model_path is not None and not Path(settings.model_path).is_dir():
            raise EngineLoadError(f"{MODEL_PATH_SETTING}={settings.model_path!r} is not a directory holding "
                                  "a sentence-transformers model")
        try:
            encoder = Encoder.load(settings.model_path, settings.device)
        except EncoderLoadError as exc:
            raise EngineLoadError(f"check the setting {MODEL_PATH_SETTING} "
                                  f"(currently {settings.model_path!r}): {exc}") from exc
        encoder.batch_size = settings.batch_size
        encoder.cache_size = settings.cache_size
        taxonomy = settings.taxonomy or Taxonomy.default()
        trained = cls._read_trained(settings.trained, encoder.dim)
        return cls(settings, encoder, taxonomy, trained)

    def with_trained(self, blob: bytes | None) -> Engine:
        """A sibling engine sharing the loaded model and pipeline, with another trained model (or none)."""
        settings = replace(self.settings, trained=blob)
        return Engine(settings, self.encoder, self.taxonomy, self._read_trained(blob, self.encoder.dim),
                      nlp=self.nlp, annotator=self.annotator, prototypes=(self._proto_vectors, self._proto_owner))

    def with_taxonomy(self, taxonomy: Taxonomy) -> Engine:
        """A sibling engine for another taxonomy (prototypes re-embedded, model version changes)."""
        settings = replace(self.settings, taxonomy=taxonomy)
        return Engine(settings, self.encoder, taxonomy, self.trained, nlp=self.nlp, annotator=self.annotator)

    @staticmethod
    def _read_trained(blob: bytes | None, dim: int) -> TrainedModel | None:
        """Parse and check a trained blob, turning any problem into EngineLoadError."""
        if not blob:
            return None
        try:
            model = TrainedModel.from_bytes(blob)
        except TrainedModelError as exc:
            raise EngineLoadError(str(exc)) from exc
        if int(model.meta.get("embedding_dim", dim)) != dim:
            raise EngineLoadError("trained model was made for another embedding model "
                                  f"({model.meta.get('embedding_dim')} dims, this one has {dim})")
        return model

    def _prototypes(self) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings of each category's name, description and seed examples."""
        texts: list[str] = []
        owner: list[int] = []
        for j, category in enumerate(self.taxonomy.categories):
            for text in category.prototype_texts():
                texts.append(text)
                owner.append(j)
        return self.encoder.embed(texts), np.asarray(owner, dtype=np.int64)

    def _polarity_prototypes(self) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings of generic negative, positive and neutral statements (a lexicon-free polarity signal)."""
        seeds = json.loads((DATA_DIR / "polarity_seeds.json").read_text("utf-8"))
        texts = [t for pol in POLARITIES for t in seeds[pol]]
        owner = [j for j, pol in enumerate(POLARITIES) for _ in seeds[pol]]
        return self.encoder.embed(texts), np.asarray(owner, dtype=np.int64)

    def _version(self) -> str:
        """Identifier that changes with the encoder, the rules, the taxonomy or the trained model."""
        path = self.settings.model_path
        encoder = "minilm-l6" if not path or Path(path).resolve() == default_model_path().resolve() \
            else "st-" + Path(path).name
        return f"{encoder}+rules{RULES_VERSION}+tax{self.taxonomy.fingerprint()[:8]}+{blob_hash(self.settings.trained)}"

    # --- public API -------------------------------------------------------

    def set_known_people(self, names: Iterable[str]) -> None:
        """Rebuild the EntityRuler of staff and contact names from the database."""
        names = tuple(names)
        self.settings = replace(self.settings, known_people=names)
        set_known_people(self.nlp, names)  # type: ignore[arg-type]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalized embeddings for search, sharing the analysis cache."""
        return self.encoder.embed([normalize_text(t) for t in texts])

    def analyze(self, items: Sequence[VerbatimInput]) -> list[VerbatimAnalysis]:
        """Analyse a batch of verbatims (one transformer pass per verbatim)."""
        results: list[VerbatimAnalysis] = []
        for start in range(0, len(items), ANALYZE_CHUNK):
            prepared = self.prepare(items[start:start + ANALYZE_CHUNK])
            results.extend(self._conclude(p) for p in prepared)
        return results

    def prepare(self, items: Sequence[VerbatimInput]) -> list[_Prepared]:
        """spaCy, rules and embeddings for a batch: the features training and analysis share."""
        texts = [normalize_text(item.text or "") for item in items]
        prepared: list[_Prepared] = []
        for item, text, doc in zip(items, texts, self.nlp.pipe(texts, batch_size=256)):  # type: ignore[attr-defined]
            channel = item.channel if item.channel in CHANNELS else "nps"
            prepared.append(_Prepared(item, text, doc, self.annotator.annotate(doc, channel)))
        spans = [[(c.start, c.end) for c in p.rules.clauses] for p in prepared]
        docs, clause_vecs = self.encoder.encode_spans(texts, spans)
        for p, doc_vec, clause_vec in zip(prepared, docs, clause_vecs):
            p.features = self._features(p, doc_vec, clause_vec)
        return prepared

    # --- internals --------------------------------------------------------

    def _features(self, p: _Prepared, doc_vec: np.ndarray, clause_vecs: np.ndarray) -> VerbatimFeatures:
        """Similarities to category prototypes and the rule vector for one verbatim."""
        n_cat = len(self.taxonomy.categories)
        if len(clause_vecs) == 0:
            clause_vecs = doc_vec[None, :]
        clause_sim = _max_by_owner(clause_vecs @ self._proto_vectors.T, self._proto_owner, n_cat)
        doc_sim = _max_by_owner(doc_vec[None, :] @ self._proto_vectors.T, self._proto_owner, n_cat)[0]
        polarity = _max_by_owner(clause_vecs @ self._polarity_vectors.T, self._polarity_owner, len(POLARITIES))
        for clause, (neg, pos, neu) in zip(p.rules.clauses, polarity):
            if neg - max(pos, neu) > POLARITY_MARGIN:
                clause.fallback = "negative"
            elif pos - max(neg, neu) > POLARITY_MARGIN:
                clause.fallback = "positive"
        margins = np.stack([polarity[:, 0] - np.maximum(polarity[:, 1], polarity[:, 2]),
                            polarity[:, 1] - np.maximum(polarity[:, 0], polarity[:, 2])])
        hits = np.zeros(n_cat, dtype=np.float32)
        for j, key in enumerate(self.taxonomy.keys):
            if any(key in c.categories for c in p.rules.clauses):
                hits[j] = 1.0
        return VerbatimFeatures(doc_embedding=doc_vec, clause_embeddings=clause_vecs, clause_similarity=clause_sim,
                                doc_similarity=doc_sim, rule_hits=hits,
                                rule_vector=np.concatenate([
                                    rule_vector(p.rules, p.text, p.item.channel, p.item.score),
                                    margins.max(axis=1).astype(np.float32)]))

    def _conclude(self, p: _Prepared) -> VerbatimAnalysis:
        """Combine rules, prototype similarity and trained heads into the final analysis."""
        rules, feats, channel = p.rules, p.features, p.item.channel
        shared = feats.shared()[None, :]
        heads = self.trained.heads if self.trained else {}
        blank = not any(ch.isalnum() or ord(ch) > 0x2000 for ch in p.text)

        # categories: trained head where one exists for the key, zero-shot otherwise
        cat_scores: dict[str, float] = {}
        for j, key in enumerate(self.taxonomy.keys):
            head = heads.get(f"cat:{key}")
            block = feats.category_block(j)
            best_sim, _, hit = block
            alone = ZS_SIM_ALONE if key in CATEGORY_KEYWORDS else ZS_SIM_NO_RULES
            chosen = bool((hit > 0 and best_sim >= ZS_SIM_WITH_RULE) or best_sim >= alone)
            confidence = float(min(0.99, 0.5 + 0.5 * best_sim + (0.2 if hit > 0 else 0.0)))
            if head is not None and head.mode != "rule":
                prob = float(head.proba(np.concatenate([shared[0], block])[None, :])[0])
                fired = prob >= head.threshold
                chosen = (fired or chosen) if head.mode == "or" else fired
                confidence = max(prob, confidence) if head.mode == "or" and chosen and not fired else prob
            if chosen and not blank:
                cat_scores[key] = confidence
        categories = [self._category_hit(p, key, conf) for key, conf in
                      sorted(cat_scores.items(), key=lambda kv: -kv[1])]

        # sentiment
        head = heads.get("sentiment")
        if head is not None and head.mode != "rule":
            probs = head.proba(shared)[0]
            sentiment = head.classes[int(np.argmax(probs))]
            sentiment_conf = float(np.max(probs))
        else:
            sentiment = rules.sentiment
            sentiment_conf = 0.6 if sentiment != "neutral" else 0.5
        if blank:
            sentiment, sentiment_conf = "neutral", 0.9

        # praise and targets
        rule_targets: list[str] = []
        for clause in rules.clauses:
            for t in clause.praise_targets(channel):
                if t not in rule_targets:
                    rule_targets.append(t)
        praise = self._flag(heads.get("praise"), shared, bool(rule_targets))
        targets: list[str] = []
        if praise:
            for target in PRAISE_TARGETS:
                t_head = heads.get(f"target:{target}")
                if t_head is not None and t_head.mode != "rule":
                    if float(t_head.proba(shared)[0]) >= t_head.threshold:
                        targets.append(target)
                elif target in rule_targets:
                    targets.append(target)
            if not targets:
                targets = rule_targets[:1] or ["product"]
        praise_evidence = [Evidence(s, e, p.item.text[s:e]) for c in rules.clauses if c.praise
                           for s, e in c.praise_cues[:2]] if praise else []

        referral = self._flag(heads.get("referral"), shared, bool(rules.referral))
        churn = self._flag(heads.get("churn"), shared, bool(rules.churn))
        score = p.item.score
        mismatch = bool(score is not None and p.item.survey_kind in (None, "nps") and (
            (score >= 9 and sentiment == "negative") or (score <= 3 and sentiment == "positive")))
        clauses = [self._clause(p, c, categories, targets if praise else [], j) for j, c in enumerate(rules.clauses)]
        return VerbatimAnalysis(
            model_version=self.model_version, categories=categories, sentiment=sentiment,  # type: ignore[arg-type]
            sentiment_confidence=round(sentiment_conf, 4), praise=praise, praise_targets=targets,
            praise_evidence=praise_evidence, people=list(rules.people), referral_signal=referral,
            referral_evidence=[Evidence(s, e, p.item.text[s:e]) for s, e in rules.referral] if referral else [],
            churn_risk=churn, churn_evidence=[Evidence(s, e, p.item.text[s:e]) for s, e in rules.churn] if churn else [],
            competitors=list(rules.competitors), score_mismatch=mismatch, clauses=clauses,
            embedding=[float(x) for x in feats.doc_embedding])

    @staticmethod
    def _flag(head: object, shared: np.ndarray, rule: bool) -> bool:
        """A binary flag from its trained head, its rule, or both, as training chose."""
        if head is None:
            return rule
        mode = getattr(head, "mode", "head")
        if mode == "rule":
            return rule
        fired = float(head.proba(shared)[0]) >= head.threshold  # type: ignore[attr-defined]
        return (fired or rule) if mode == "or" else fired

    def _best_clause(self, p: _Prepared, key: str) -> int:
        """Index of the clause that most supports a category (keyword hit first, then similarity)."""
        j = self.taxonomy.keys.index(key)
        sims = p.features.clause_similarity[:, j] if p.features.clause_similarity.size else np.zeros(1)
        bonus = np.array([1.0 if key in c.categories else 0.0 for c in p.rules.clauses])
        if len(bonus) != len(sims):
            return int(np.argmax(sims))
        return int(np.argmax(sims + bonus))

    def _category_hit(self, p: _Prepared, key: str, confidence: float) -> CategoryHit:
        """A category with the polarity and evidence span of its best clause."""
        clauses = p.rules.clauses
        idx = self._best_clause(p, key)
        clause = clauses[min(idx, len(clauses) - 1)]
        start, end = clause.categories.get(key, (clause.start, clause.end))
        return CategoryHit(key=key, confidence=round(float(confidence), 4), polarity=clause.polarity,  # type: ignore[arg-type]
                           evidence=Evidence(start, end, p.item.text[start:end]))

    def _clause(self, p: _Prepared, clause: ClauseRules, categories: list[CategoryHit], targets: list[str],
                index: int) -> ClauseAnalysis:
        """Aspect-level view of one clause: its polarity, the chosen categories it supports, praise targets."""
        hits = [hit for hit in categories if hit.evidence is not None
                and clause.start <= hit.evidence.start and hit.evidence.end <= clause.end]
        clause_targets = [t for t in clause.praise_targets(p.item.channel) if t in targets]
        return ClauseAnalysis(start=clause.start, end=clause.end, text=p.item.text[clause.start:clause.end],
                              polarity=clause.polarity, categories=hits, praise_targets=clause_targets)  # type: ignore[arg-type]


def _max_by_owner(sims: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Per-row maximum similarity over each category's prototypes."""
    out = np.full((sims.shape[0], n), -1.0, dtype=np.float32)
    for j in range(n):
        cols = owner == j
        if cols.any():
            out[:, j] = sims[:, cols].max(axis=1)
    return out


__all__ = ["DEFAULT_COMPETITORS", "Engine", "EngineLoadError", "EngineSettings", "SENTIMENTS"]
