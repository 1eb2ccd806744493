"""The spaCy pipeline: sentences, lower-case lemmas, known and unknown people's names, and clauses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from nlp import lexicon
from nlp.category_rules import THIRD_PARTY_TOOLS

DATA_DIR = Path(__file__).resolve().parent / "data"
PEOPLE_RULER = "known_people"

# Words that start a new clause inside a sentence ("great support but the product is buggy").
CLAUSE_BREAKERS = frozenset({"but", "however", "although", "though", "whereas", "except", "otherwise", "yet"})
CLAUSE_PUNCT = frozenset({";", ":", "—", "–"})
# Nouns that, right after a capitalised token, show it is a tool or a product, not a person.
THING_AFTER = frozenset("""
integration integrations sync connector connectors app api report reports dashboard dashboards account accounts
plan tier add-in extension plugin community meetup conference cloud sales service suite ads crm erp workspace
instance org portal module feature features team teams data reporting login sso import export marketplace user
users inc ltd llc gmbh corp co platform software tool tools system systems version release edition
""".split())
# Prepositions that introduce tools and companies far more often than people.
_ROLE_AFTER = re.compile(lexicon.ROLE_AFTER_RE)
HONORIFICS = frozenset("mr mrs ms miss dr prof sir madam".split())
THING_BEFORE = frozenset("in into onto via vs versus than like using from at on with to".split())


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Common given names (one signal among several for unknown people)."""
    names: set[str] = set()
    for line in (DATA_DIR / "first_names.txt").read_text("utf-8").splitlines():
        if not line.startswith("#"):
            names.update(line.split())
    return frozenset(names)


def normalize_text(text: str) -> str:
    """Same-length normalisation (curly quotes) so spans stay valid offsets into the original text."""
    return text.translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "}))


@Language.component("feedloop_lower_lemma")
def lower_lemma(doc: Doc) -> Doc:
    """Lemmatise from the lower-cased form so "Reports" and "reports" match the same patterns."""
    table = _lemma_table()
    for token in doc:
        low = token.lower_
        token.lemma_ = table.get(low, low)
        if low in ("n't", "nt"):
            token.lemma_ = "not"
    return doc


@Language.component("feedloop_newline_sents")
def newline_sents(doc: Doc) -> Doc:
    """Treat a line break as a sentence boundary (signatures, bullet lists)."""
    for i, token in enumerate(doc[:-1]):
        if "\n" in token.whitespace_ or (token.is_space and "\n" in token.text):
            doc[i + 1].is_sent_start = True
    return doc


@Language.component("feedloop_people")
def find_people(doc: Doc) -> Doc:
    """Add PERSON entities for capitalised tokens that look like personal names in context."""
    taken = {t.i for ent in doc.ents for t in ent}
    found: list[Span] = []
    names = first_names()
    tools = _tool_words()
    i = 0
    while i < len(doc):
        token = doc[i]
        if token.i in taken or not _name_shaped(token) or token.lower_ in tools:
            i += 1
            continue
        score = _person_score(doc, token, names)
        if score >= 2.0:
            end = i + 1
            # a following capitalised, non-word token is taken as the surname ("Maria Lopez")
            while (end < len(doc) and end - i < 3 and _name_shaped(doc[end]) and not doc[end].is_sent_start
                   and doc[end].i not in taken and doc[end].lower_ not in tools
                   and doc[end].lower_ not in lexicon.NOT_NAMES and not _is_word(doc[end].lower_)):
                end += 1
            # hyphenated given names ("Hyun-woo", "Jean-Luc") are one name
            while (end + 1 < len(doc) and doc[end].text == "-" and not doc[end - 1].whitespace_
                   and not doc[end].whitespace_ and doc[end + 1].is_alpha):
                end += 2
            found.append(Span(doc, i, end, label="PERSON"))
            i = end
        else:
            i += 1
    found += _coordinated_names(doc, found, taken, tools)
    if found:
        doc.ents = list(doc.ents) + found
    return doc


def _coordinated_names(doc: Doc, found: list[Span], taken: set[int], tools: frozenset[str]) -> list[Span]:
    """Names joined by "and" or a comma to a found name ("Marcus and Hannah", "Oluwaseun and Chidinma")."""
    known = [s for s in found] + [e for e in doc.ents if e.label_ == "PERSON"]
    used = taken | {t.i for s in found for t in s}
    extra: list[Span] = []
    for span in known:
        for i in (span.end + 1, span.start - 2):
            if not (0 <= i < len(doc)):
                continue
            link = doc[span.end] if i > span.start else doc[span.start - 1]
            token = doc[i]
            if (link.lower_ in ("and", "&", "or") and i not in used and _name_shaped(token)
                    and token.lower_ not in tools and token.lower_ not in lexicon.NOT_NAMES
                    and not _is_word(token.lower_) and not (i + 1 < len(doc) and doc[i + 1].lower_ in THING_AFTER)):
                extra.append(Span(doc, i, i + 1, label="PERSON"))
                used.add(i)
    return extra


def build_pipeline(known_people: Iterable[str] = ()) -> Language:
    """Blank English + sentencizer + lookup lemmatizer + EntityRuler of known names + name heuristics."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("feedloop_newline_sents")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("feedloop_lower_lemma")
    nlp.add_pipe("feedloop_people")
    nlp.initialize()
    _lemma_table.cache_clear()
    _lemma_values.cache_clear()
    _LEMMA_SOURCE[0] = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    set_known_people(nlp, known_people)
    return nlp


def set_known_people(nlp: Language, names: Iterable[str]) -> None:
    """Rebuild the EntityRuler from staff and contact names known to the database."""
    if PEOPLE_RULER in nlp.pipe_names:
        nlp.remove_pipe(PEOPLE_RULER)
    patterns: list[dict[str, str]] = []
    seen: set[str] = set()
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        variants = [name]
        first = name.split()[0]
        if " " in name and len(first) >= 3 and first[0].isupper() and first.lower() not in lexicon.NOT_NAMES:
            variants.append(first)
        for variant in variants:
            if variant not in seen:
                seen.add(variant)
                patterns.append({"label": "PERSON", "pattern": variant})
    if patterns:  # an EntityRuler without patterns warns on every call, so none is added then
        ruler = nlp.add_pipe("entity_ruler", name=PEOPLE_RULER, before="feedloop_people",
                             config={"phrase_matcher_attr": "ORTH", "overwrite_ents": True})
        ruler.add_patterns(patterns)


def clause_spans(doc: Doc) -> list[Span]:
    """Sentences cut into clauses at contrast words and semicolons (aspect-level units)."""
    clauses: list[Span] = []
    for sent in doc.sents:
        start = sent.start
        for token in sent:
            if token.i <= start or token.i >= sent.end - 1:
                continue
            cut_before = token.lower_ in CLAUSE_BREAKERS and not _trailing(token, sent)
            if token.lower_ == "yet" and token.i > 0 and doc[token.i - 1].lower_ in ("not", "n't", "as"):
                cut_before = False
            if cut_before and token.i - start >= 2:
                clauses.append(doc[start:token.i])
                start = token.i
            elif token.text in CLAUSE_PUNCT and token.i - start >= 2 and sent.end - token.i > 2:
                clauses.append(doc[start:token.i + 1])
                start = token.i + 1
        if start < sent.end:
            clauses.append(doc[start:sent.end])
    return [c for c in clauses if any(not t.is_space and not t.is_punct for t in c)] or [doc[:]]


def trimmed_bounds(span: Span) -> tuple[int, int]:
    """Character bounds of a span without surrounding whitespace."""
    text = span.text
    left = len(text) - len(text.lstrip())
    return span.start_char + left, span.start_char + len(text.rstrip())


# --- internals -------------------------------------------------------------

_LEMMA_SOURCE: list[object] = [None]


@lru_cache(maxsize=1)
def _lemma_table() -> Any:
    """The lookup lemma table (a spaCy Table: string keys are hashed on access)."""
    table = _LEMMA_SOURCE[0]
    if table is None:
        from spacy.lookups import load_lookups

        table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    return table


@lru_cache(maxsize=1)
def _lemma_values() -> frozenset[str]:
    """Every lemma in the lookup table: the base forms of common English words."""
    return frozenset(str(v) for v in _lemma_table().values())


@lru_cache(maxsize=1)
def _tool_words() -> frozenset[str]:
    """Single-word tool and product names that are never people."""
    return frozenset(t for t in THIRD_PARTY_TOOLS if " " not in t) | frozenset(
        {"tandemly", "feedloop", "google", "microsoft", "apple", "amazon", "aws", "azure", "oracle", "ibm"})


@lru_cache(maxsize=1)
def _evaluation_words() -> frozenset[str]:
    """Lexicon words, which are capitalised at sentence starts but are never names."""
    from nlp.category_rules import CATEGORY_KEYWORDS

    words = set(lexicon.STRONG_POSITIVE | lexicon.LUKEWARM | lexicon.MILD_POSITIVE | lexicon.NEGATIVE)
    for phrases in CATEGORY_KEYWORDS.values():
        words.update(p for p in phrases if " " not in p)
    return frozenset(words)


def _is_word(low: str) -> bool:
    """Whether a lower-cased token is a known common word (lexicons, lemma table, stoplist)."""
    return (low in lexicon.NOT_NAMES or low in _evaluation_words() or low in _lemma_table()
            or low in _lemma_values())


def _name_shaped(token: Token) -> bool:
    """Capitalised alphabetic token that could be a name (not an acronym, not a single letter)."""
    text = token.text
    return (len(text) >= 2 and text[0].isupper() and text.replace("-", "").replace("'", "").isalpha()
            and not text.isupper())


def _trailing(token: Token, sent: Span) -> bool:
    """A contrast word at the very end of a sentence ("..., though.") does not open a clause."""
    rest = [t for t in sent[token.i - sent.start + 1:] if not t.is_punct and not t.is_space]
    return len(rest) == 0


def _person_score(doc: Doc, token: Token, names: frozenset[str]) -> float:
    """Evidence that a capitalised token names a person, from a gazetteer and the words around it."""
    low = token.lower_
    prev = doc[token.i - 1] if token.i > 0 else None
    prev2 = doc[token.i - 2] if token.i > 1 else None
    nxt = doc[token.i + 1] if token.i + 1 < len(doc) else None
    nxt2 = doc[token.i + 2] if token.i + 2 < len(doc) else None
    gazetteer = token.text in names
    common = (low in _evaluation_words()) if gazetteer else _is_word(low)
    score = 2.0 if gazetteer else (0.0 if common else 0.75)
    if low in lexicon.NOT_NAMES:
        return 0.0
    if prev is not None and prev.lower_ in lexicon.PERSON_BEFORE:
        score += 1.5
    if prev is not None and prev.lower_.rstrip(".") in HONORIFICS:
        score += 2.0
    if prev is not None and prev.lower_ == "to" and prev2 is not None and prev2.lower_ in lexicon.PERSON_BEFORE:
        score += 2.5  # "shoutout to Priya", "thanks to Jenna"
    if prev is not None and prev.text == "," and prev2 is not None and prev2.lower_ in lexicon.PERSON_SIGNOFF \
            and (prev2.is_sent_start or prev2.i == 0):
        score += 2.0  # "Best, Dana" / "Thanks, Connor"
    if (token.is_sent_start or token.i == 0) and nxt is not None and nxt.text == "," and not common \
            and not low.endswith("ly"):
        score += 1.5 if token.i == 0 else 1.0  # vocative "Olga, we need to talk"
    if nxt is not None and nxt.lower_ in ("'s", "’s") and nxt2 is not None and not nxt2.lower_ in THING_AFTER:
        score += 0.5
    if nxt is not None and nxt.lower_ in lexicon.PERSON_AFTER and not common:
        score += 0.5
    following = doc[token.i + 1:token.i + 6].text.lower()
    if any(following.startswith(role) for role in lexicon.ROLE_AFTER_NAME) or _ROLE_AFTER.match(following):
        score += 1.5
    if nxt is not None and nxt.lower_ in THING_AFTER:
        score -= 2.0
    if prev is not None and prev.lower_ in THING_BEFORE and not gazetteer:
        score -= 1.0
    if token.is_sent_start and common:
        score -= 1.0
    # the token is at the end of the text, right after a line break or sign-off: a signature
    if token.i >= len(doc) - 2 and prev is not None and (prev.text in (",", "-", "—") or "\n" in prev.whitespace_):
        score += 1.0 if not common else 0.0
    return score


def words_re(words: Iterable[str]) -> re.Pattern[str]:
    """Case-insensitive whole-word alternation of the given words."""
    parts = sorted({re.escape(w) for w in words if w}, key=len, reverse=True)
    return re.compile(r"(?<![\w.])(" + "|".join(parts) + r")(?![\w])", re.IGNORECASE)
