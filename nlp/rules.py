"""Rule components: clause polarity, praise and its targets, referral and churn cues, category keywords."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from nlp import lexicon
from nlp.category_rules import CATEGORY_KEYWORDS, IMPLIED_PAIRS
from nlp.pipeline import clause_spans, trimmed_bounds, words_re

CharSpan = tuple[int, int]

# Positive words that evaluate but, per the labelling guidelines, are not praise on their own.
NOT_PRAISE = frozenset({"happy", "pleased", "glad", "satisfied", "fixed", "resolved", "solved", "improve",
                        "stable", "fine", "accurate", "clear", "affordable", "cheap", "convenient", "comfortable",
                        "better", "worth", "value", "valuable", "works", "excited", "excite",
                        "appreciate", "appreciated", "enjoy", "enjoyed", "grateful", "thankful"})
PRODUCT_WORDS = frozenset("""
product tool platform app software system solution feature features dashboard dashboards report reports reporting
analytics ui interface module integration forecasting workflow workflows automation it this
""".split())
RULES_VERSION = 5


@dataclass
class ClauseRules:
    """What the rules saw in one clause."""

    start: int
    end: int
    text: str
    strong: list[CharSpan] = field(default_factory=list)
    mild: list[CharSpan] = field(default_factory=list)
    lukewarm: list[CharSpan] = field(default_factory=list)
    content: list[CharSpan] = field(default_factory=list)
    negative: list[CharSpan] = field(default_factory=list)
    request: list[CharSpan] = field(default_factory=list)
    gratitude: list[CharSpan] = field(default_factory=list)
    praise_cues: list[CharSpan] = field(default_factory=list)
    question: bool = False
    sarcasm: bool = False
    people: list[str] = field(default_factory=list)
    vocative_people: list[str] = field(default_factory=list)
    second_person: bool = False
    support: bool = False
    company: bool = False
    programme: bool = False
    product: bool = False
    categories: dict[str, CharSpan] = field(default_factory=dict)
    fallback: str = "neutral"  # polarity from embedding similarity, used when no lexicon evidence fired

    @property
    def pos_score(self) -> float:
        """Weighted positive evidence."""
        return 2.0 * len(self.strong) + len(self.mild) + 0.6 * len(self.lukewarm) + len(self.content) \
            + 1.5 * len(self.gratitude)

    @property
    def neg_score(self) -> float:
        """Weighted negative evidence."""
        return 1.5 * len(self.negative)

    @property
    def polarity(self) -> str:
        """positive, negative or neutral for this clause."""
        if self.sarcasm:
            return "negative"
        pos, neg = self.pos_score, self.neg_score
        if pos > neg:
            return "positive"
        if neg > pos:
            return "negative"
        if pos == 0 and not self.request and not self.question:
            return self.fallback
        return "neutral"

    @property
    def praise(self) -> bool:
        """An explicit positive evaluation of something (not lukewarm, not a request, not sarcasm)."""
        return bool(self.praise_cues) and not self.sarcasm and self.polarity == "positive"

    def praise_targets(self, channel: str) -> list[str]:
        """Who or what this clause praises."""
        if not self.praise:
            return []
        targets: list[str] = []
        if self.people or (self.vocative_people and (self.second_person or self.gratitude)):
            targets.append("person")
            if self.support or channel == "support_ticket":
                targets.append("support")
        elif self.support:
            targets.append("support")
        if self.company or (self.programme and "person" not in targets):
            targets.append("company")
        if not targets or (self.product and "person" not in targets):
            targets.append("product")
        return targets


@dataclass
class DocRules:
    """Rule findings for one verbatim."""

    clauses: list[ClauseRules]
    people: list[str]
    referral: list[CharSpan]
    churn: list[CharSpan]
    competitors: list[str]

    @property
    def sentiment(self) -> str:
        """Zero-shot overall sentiment from clause evidence, following the labelling guidelines."""
        both = [c for c in self.clauses if (c.strong or c.mild) and c.negative and not c.sarcasm]
        has_pos = any((c.strong or c.mild or c.content or c.gratitude or c.pos_score == 0)
                      and c.polarity == "positive" for c in self.clauses) or bool(both) or bool(self.referral)
        has_luke = any(c.lukewarm and c.polarity == "positive" for c in self.clauses)
        has_neg = any(c.polarity == "negative" for c in self.clauses) or bool(both)
        has_req = any(c.request for c in self.clauses)
        if has_neg and (has_pos or has_luke):
            return "mixed"
        if has_neg:
            return "negative"
        if (has_pos or has_luke) and has_req:
            return "mixed"
        if has_pos:
            return "positive"
        return "neutral"


class RuleAnnotator:
    """Matchers built once per engine over the pipeline's vocabulary."""

    def __init__(self, nlp: Language, competitors: Sequence[str]) -> None:
        self.nlp = nlp
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        for label, items in {
            "REQUEST": lexicon.REQUEST_PHRASES, "LUKEWARM": lexicon.LUKEWARM_PHRASES,
            "CONTENT": lexicon.CONTENT_PHRASES, "POSITIVE": lexicon.POSITIVE_PHRASES,
            "NEGATIVE": lexicon.NEGATIVE_PHRASES, "GRATITUDE": lexicon.GRATITUDE_PHRASES,
            "SARCASM": lexicon.SARCASM_CUES, "SUPPORT": lexicon.SUPPORT_PHRASES,
            "COMPANY": lexicon.COMPANY_PHRASES, "PROGRAMME": lexicon.PROGRAMME_PHRASES,
        }.items():
            self.phrases.add(label, [nlp.make_doc(p) for p in items])
        self.categories = PhraseMatcher(nlp.vocab, attr="LEMMA")
        lemmatize = [name for name in nlp.pipe_names if name in ("lemmatizer", "feedloop_lower_lemma")]
        for key, items in CATEGORY_KEYWORDS.items():
            docs = [_lemmatized(nlp, p, lemmatize) for p in items]
            self.categories.add(key, docs)
        self.competitors = tuple(competitors)
        self.competitor_re = words_re(competitors) if competitors else None
        self.implied = [(a, b, words_re(words)) for a, b, words in IMPLIED_PAIRS]

    def annotate(self, doc: Doc, channel: str = "nps") -> DocRules:
        """Run every rule over a processed Doc."""
        text = doc.text
        lower = text.lower()
        person_spans = [e for e in doc.ents if e.label_ == "PERSON"]
        people = list(dict.fromkeys(e.text for e in person_spans))
        phrase_hits = [(self.nlp.vocab.strings[m], s, e) for m, s, e in self.phrases(doc)]
        cat_hits = [(self.nlp.vocab.strings[m], s, e) for m, s, e in self.categories(doc)]
        clauses = [self._clause(doc, span, phrase_hits, cat_hits, person_spans) for span in clause_spans(doc)]
        for first, second, pattern in self.implied:
            for clause in clauses:
                if first in clause.categories and second not in clause.categories:
                    hit = pattern.search(text, clause.start, clause.end)
                    if hit:
                        clause.categories[second] = (hit.start(), hit.end())
        churn = churn_cues(text, self.competitors, people)
        switches = [(m.start(), m.end()) for m in _VENDOR_SWITCH.finditer(text)] + churn
        for clause in clauses:
            hit = clause.categories.get("integrations")
            if hit and any(s <= hit[0] and hit[1] <= e for s, e in switches):
                del clause.categories["integrations"]
            if channel == "support_ticket" and clause.praise and (clause.people or clause.vocative_people):
                clause.categories.setdefault("support_service", clause.praise_cues[0])
        competitors = []
        if self.competitor_re is not None:
            canonical = {c.lower(): c for c in self.competitors}
            competitors = list(dict.fromkeys(canonical.get(m.group(0).lower(), m.group(0))
                                             for m in self.competitor_re.finditer(text)))
        return DocRules(clauses=clauses, people=people, referral=referral_cues(lower), churn=churn,
                        competitors=competitors)

    def _clause(self, doc: Doc, span: Span, phrase_hits: list[tuple[str, int, int]],
                cat_hits: list[tuple[str, int, int]], person_spans: list[Span]) -> ClauseRules:
        """Evidence inside one clause; phrases consume their tokens before single words are counted."""
        start, end = trimmed_bounds(span)
        clause = ClauseRules(start=start, end=end, text=doc.text[start:end])
        consumed: set[int] = set()
        request_from: int | None = None
        ordered = sorted((h for h in phrase_hits if span.start <= h[1] and h[2] <= span.end),
                         key=lambda h: (_PHRASE_ORDER.get(h[0], 9), h[1], -(h[2] - h[1])))
        for label, s, e in ordered:
            char = (doc[s].idx, doc[e - 1].idx + len(doc[e - 1]))
            if label in ("SUPPORT", "COMPANY", "PROGRAMME"):
                if label == "SUPPORT":
                    clause.support = True
                elif label == "COMPANY":
                    clause.company = True
                else:
                    clause.programme = True
                continue
            if any(i in consumed for i in range(s, e)):
                continue
            consumed.update(range(s, e))
            if label == "REQUEST":
                clause.request.append(char)
                request_from = s if request_from is None else min(request_from, s)
            elif label == "LUKEWARM":
                clause.lukewarm.append(char)
            elif label == "CONTENT":
                clause.content.append(char)
            elif label == "POSITIVE":
                if _negated(doc, s, span.start):
                    clause.negative.append(char)
                else:
                    clause.strong.append(char)
                    clause.praise_cues.append(char)
            elif label == "NEGATIVE":
                clause.negative.append(char)
            elif label == "GRATITUDE":
                clause.gratitude.append(char)
                clause.praise_cues.append(char)
            elif label == "SARCASM":
                clause.sarcasm = True
        first = next((t for t in span if not t.is_punct and not t.is_space), None)
        if first is not None and first.lemma_ in ("add", "allow", "integrate", "enable") \
                and first.i not in consumed and first.is_sent_start:
            char = (first.idx, first.idx + len(first))
            clause.request.append(char)
            clause.categories.setdefault("missing_features", char)
        for token in span:
            if token.i in consumed or token.is_punct or token.is_space:
                if token.text == "?":
                    clause.question = True
                continue
            lemma, low = token.lemma_, token.lower_
            char = (token.idx, token.idx + len(token))
            after_request = request_from is not None and token.i > request_from
            if _emoji(token.text, lexicon.EMOJI_POSITIVE):
                clause.mild.append(char)
                continue
            if _emoji(token.text, lexicon.EMOJI_NEGATIVE):
                clause.negative.append(char)
                continue
            if low in ("support", "helpdesk", "agent", "agents") or (low == "team" and token.i > 0
                                                                      and doc[token.i - 1].lower_ == "support"):
                clause.support = True
            if low in ("team", "crew", "folks", "guys", "people") and token.i > 0:
                before = doc[token.i - 1].lower_
                if before == "support":
                    clause.support = True
                elif before not in ("our", "my", "their", "sales", "dev", "finance", "it", "ops", "legal", "whole",
                                    "entire", "product", "engineering", "docs") or token.i == span.start + 1:
                    clause.company = clause.company or before in ("the", "your", "job", "great", "amazing",
                                                                  "fantastic", "awesome", "the", "onboarding",
                                                                  "success", "implementation", "account", "you")
            if low in PRODUCT_WORDS and low not in ("it", "this"):
                clause.product = True
            if low in ("you", "your", "you're", "yourself") and not (
                    token.i + 1 < len(doc) and doc[token.i + 1].lower_ in PRODUCT_WORDS):
                clause.second_person = True
            word = lemma if lemma in _ALL_WORDS else low
            if word in lexicon.LUKEWARM:
                (clause.negative if _negated(doc, token.i, span.start) else clause.lukewarm).append(char)
            elif word in lexicon.STRONG_POSITIVE or word in lexicon.MILD_POSITIVE or word in _EXTRA_POSITIVE:
                if after_request or _greeting(doc, token.i):
                    continue
                if _negated(doc, token.i, span.start):
                    clause.negative.append(char)
                elif word in lexicon.STRONG_POSITIVE:
                    clause.strong.append(char)
                    if word not in NOT_PRAISE:
                        clause.praise_cues.append(char)
                else:
                    clause.mild.append(char)
                    if word not in NOT_PRAISE:
                        clause.praise_cues.append(char)
            elif word in lexicon.NEGATIVE:
                if _negated(doc, token.i, span.start):
                    clause.lukewarm.append(char)  # "not bad", "no bugs": a mild, lukewarm positive
                else:
                    clause.negative.append(char)
        if clause.strong and clause.negative and _sarcastic_opening(span):
            clause.sarcasm = True
        sentence_people = [p for p in person_spans if span.start <= p.start and p.end <= span.end]
        for person in sentence_people:
            if _vocative(doc, person):
                clause.vocative_people.append(person.text)
            else:
                clause.people.append(person.text)
        if not clause.vocative_people:
            clause.vocative_people = [p.text for p in person_spans if _vocative(doc, p)]
        for key, s, e in cat_hits:
            if span.start <= s and e <= span.end and key not in clause.categories:
                clause.categories[key] = (doc[s].idx, doc[e - 1].idx + len(doc[e - 1]))
        return clause


# --- referral and churn ----------------------------------------------------

_NEG_BEFORE = re.compile(r"(not|n't|never|no longer|wouldn't|couldn't|can't|cannot|won't|hardly)\s+(\w+\s+){0,2}$")
_REFERRAL = [re.compile(p) for p in (
    r"\brecommend(ed|ing|s)?\b", r"\brefer(red|ring|ral|rals)?\b(?!\s+back)(?!\s+to\s+the\s+(docs|documentation|guide|article))",
    r"\b(be|as|being) a reference\b", r"\breference (customer|call|account|client)\b", r"\ba reference for\b",
    r"\bcase stud(y|ies)\b", r"\btestimonial\b", r"\b(leave|write|post|do) (you )?(a|an)( \w+)? review\b",
    r"\b(g2|capterra|trustradius|trustpilot) review\b",
    r"\b(told|tell|telling)\b[^.!?]{0,40}\babout (you|it|this|them|the product|the tool|your)\b",
    r"\b(told|tell) (everyone|everybody|people|friends|colleagues|peers|my \w+|our \w+)\b",
    r"\bmentioned (you|it|this)\b", r"\bpitched\b", r"\bpointed\b[^.!?]{0,40}\b(her|his|your|their) way\b",
    r"\bspread(ing)? the word\b", r"\bcount me in\b", r"\b(talk|speak) to (any |your )?(prospects?|potential customers)\b",
    r"\bcustomer panel\b", r"\b(speak|present|talk) at\b[^.!?]{0,30}\b(webinar|conference|event|summit|meetup)\b",
    r"\bvouch\b", r"\bsing(ing)? your praises\b", r"\bintroduc(e|ed) you to\b",
    r"\b(other|more) teams\b[^.!?]{0,40}\bto sign up\b", r"\bword of mouth\b",
    r"\b(showed|show|presented|present|demoed|demo|shared|talked about|spoke about)\b[^.!?]{0,40}\b(conference|meetup|summit|"
    r"event|webinar|user group|panel)\b",
    r"\b(speak|present|talk|join|appear|do)\b[^.!?]{0,20}\b(on|at|in|for)\b[^.!?]{0,15}\b(webinar|conference|panel|podcast|"
    r"summit|meetup|user group|customer event)\b", r"\bbe a speaker\b",
)]
_CHURN = [re.compile(p) for p in (
    r"\bcancel(l?ing|l?ed|lation|s)?\b", r"\b(not|n't|never|no longer)\b[^.!?]{0,25}\brenew", r"\bwon't be renewing\b",
    r"\bdefend the renewal\b", r"\bwhether (we|to) (should )?renew\b", r"\brfp\b",
    r"\bre-?evaluat(e|ing|ion)\b", r"\blook(ing)? elsewhere\b", r"\bjump(ing)? ship\b", r"\bwalk(ing)? away\b",
    r"\b(look|looking|consider|considering|explore|exploring|evaluate|evaluating|shop|shopping|weigh|weighing|"
    r"review|reviewing|at|into|with)\b[^.!?]{0,25}\b(alternatives?|other (options|vendors|tools|solutions|"
    r"providers|platforms)|competitors?)\b",
    r"\b(we|i|they)('re| are| am|'m| will|'ll)? (done|out)\b(?! of)", r"\bfinal warning\b", r"\bnever again\b",
    r"\b(we|i)('re| are|'ll| will| plan to| intend to| want to| have to| need to| might| may)? ?"
    r"(leav(e|ing)|churn(ing)?)\b(?! (a|an|the|it|us|feedback|comments?|reviews?)\b)",
    r"\b(haven't|have not|hasn't|not yet) left\b", r"\bthinking (about|of) (leaving|switching|moving|cancell?ing)\b",
    r"\bgiving (it|you|them) until\b", r"\bforced to\b[^.!?]{0,20}\b(leave|switch|move|look)\b",
    r"\bconsolidat(e|ing) (onto|on|into)\b", r"\bcan't justify (renewing|the renewal|keeping)\b",
    r"\blook(ing)? (for|into|around for) (another|a new|a different|other|a better|a cheaper)\b",
    r"\b(find|found|pick|picked|get) (another|a different|a new|a cheaper|a better) (tool|vendor|provider|platform|"
    r"solution|product|app|system|supplier)\b",
    r"\bdone with (you|this|it|them|the product)\b", r"\b(to|will|'ll|gonna|going to|have to|forced to)\s+(leave|churn)\b",
    r"\bcompar(e|ing) (you|it|this|them|the product)\b[^.!?]{0,15}\b(with|to|against)\b",
    r"\b(no choice but|no option but) to (leave|switch|move|cancel)\b",
)]
_VENDOR_SWITCH = re.compile(r"\b(switch|switched|switching|move|moved|moving|migrate|migrated|migrating|came|coming)"
                            r"\s+(over\s+)?(from|to|off)\s+[\w.&-]+(\s+[A-Z][\w.&-]*)?")
_CHURN_EXCLUDE = re.compile(
    r"(switched from|moved from|migrated from|switching would|moving would|would have left|'d have left|"
    r"'d probably have left|would probably have left|left the company|leaves the company|rep leaves|"
    r"impossible to leave a)")
_CHURN_TARGET = r"(switch(ing)?|mov(e|ing)|migrat(e|ing)|transition(ing)?|go(ing)? back) (over )?to\s+"
_CHURN_COMPETE = r"(evaluat(e|ing)|evaluation of|trial(l)?ing|pilot(ing)?|looking at|considering|talking to|signed with|demo(ing)?)\s+"


def referral_cues(lower: str) -> list[CharSpan]:
    """Spans saying the customer recommended, referred, or offers to be a reference or reviewer."""
    found: list[CharSpan] = []
    for pattern in _REFERRAL:
        for m in pattern.finditer(lower):
            before = lower[max(0, m.start() - 30):m.start()]
            if _NEG_BEFORE.search(before):
                continue
            found.append((m.start(), m.end()))
    return _dedupe(found)


def churn_cues(text: str, competitors: Sequence[str], people: Sequence[str]) -> list[CharSpan]:
    """Spans threatening to leave, cancel, not renew, or naming a competitor being evaluated or moved to."""
    lower = text.lower()
    found: list[CharSpan] = []
    for pattern in _CHURN:
        for m in pattern.finditer(lower):
            window = lower[max(0, m.start() - 25):m.end() + 25]
            if _CHURN_EXCLUDE.search(window):
                continue
            found.append((m.start(), m.end()))
    names = {c.lower() for c in competitors}
    person_names = {p.lower() for p in people}
    for verb in (_CHURN_TARGET, _CHURN_COMPETE):
        for m in re.finditer(r"\b" + verb + r"([A-Z][\w.&-]*|another \w+|a different \w+|a new (vendor|tool|provider|"
                             r"platform|solution|system|crm))", text, flags=0):
            obj = m.group(m.lastindex or 0) if m.lastindex else ""
            target = text[m.end() - len(obj):m.end()] if obj else ""
            word = target.split()[0].lower() if target else ""
            if target and word in person_names:
                continue
            if target[:1].isupper() and word not in names and word in lexicon.NOT_NAMES:
                continue
            window = lower[max(0, m.start() - 25):m.end() + 10]
            if _CHURN_EXCLUDE.search(window):
                continue
            found.append((m.start(), m.end()))
        for m in re.finditer(r"\b" + verb, lower):
            rest = lower[m.end():m.end() + 40]
            if any(rest.startswith(n) for n in names):
                found.append((m.start(), m.end() + len(next(n for n in names if rest.startswith(n)))))
    return _dedupe(found)


# --- internals -------------------------------------------------------------

_PHRASE_ORDER = {"SARCASM": 0, "LUKEWARM": 1, "CONTENT": 2, "REQUEST": 3, "GRATITUDE": 4, "NEGATIVE": 5,
                 "POSITIVE": 6, "SUPPORT": 7, "COMPANY": 7, "PROGRAMME": 7}
_EXTRA_POSITIVE = frozenset({"patiently", "quickly", "helpful", "thank-you", "love", "like"})
_ALL_WORDS = lexicon.STRONG_POSITIVE | lexicon.MILD_POSITIVE | lexicon.LUKEWARM | lexicon.NEGATIVE | _EXTRA_POSITIVE


def _lemmatized(nlp: Language, text: str, components: list[str]) -> Doc:
    """A pattern Doc with lemmas, so keyword patterns match every inflection."""
    doc = nlp.make_doc(text)
    for name in components:
        doc = nlp.get_pipe(name)(doc)
    return doc


def _negated(doc: Doc, i: int, floor: int) -> bool:
    """A negator within the three preceding tokens of the same clause."""
    for j in range(max(floor, i - 3), i):
        if doc[j].lemma_ in lexicon.NEGATORS or doc[j].lower_ in lexicon.NEGATORS:
            return True
    return False


def _greeting(doc: Doc, i: int) -> bool:
    """'Good morning', 'Best, Dana', 'Kind regards': polite formulas, not evaluations."""
    token = doc[i]
    nxt = doc[i + 1] if i + 1 < len(doc) else None
    if token.lower_ == "good" and nxt is not None and nxt.lower_ in ("morning", "afternoon", "evening", "day", "luck"):
        return True
    if token.lower_ in ("best", "warm", "kind") and nxt is not None and (nxt.text == "," or nxt.lower_ in ("regards", "wishes")):
        return token.is_sent_start or i == 0 or i >= len(doc) - 4
    if token.lower_ == "like" and nxt is not None and nxt.lower_ not in ("it", "this", "the", "that", "how", "them"):
        return True  # "feels like", "like minutes": comparison, not liking
    return False


def _sarcastic_opening(span: Span) -> bool:
    """'great, another outage': a praise word opening a clause that then reports a failure."""
    words = [t for t in span if not t.is_space]
    return len(words) > 2 and words[0].lower_ in ("great", "wonderful", "fantastic", "awesome", "love", "perfect",
                                                   "brilliant", "nice", "lovely", "amazing") \
        and words[1].text in (",", "!", "...", "—", "-")


def _vocative(doc: Doc, person: Span) -> bool:
    """A name used to address or sign ("Hi Olga,", "Olga, we need...", "Best, Dana")."""
    prev = doc[person.start - 1] if person.start > 0 else None
    nxt = doc[person.end] if person.end < len(doc) else None
    if prev is not None and prev.lower_ in ("hi", "hey", "hello", "dear", "morning"):
        return True
    if (person.start == 0 or doc[person.start].is_sent_start) and nxt is not None and nxt.text in (",", ":", "-"):
        return True
    return person.end >= len(doc) - 1 and prev is not None and prev.text in (",", "-")


def _emoji(text: str, chars: str) -> bool:
    """The token is (or starts with) one of the given emoji."""
    return bool(text) and any(ch in chars for ch in text)


def _dedupe(spans: list[CharSpan]) -> list[CharSpan]:
    """Sorted spans with contained duplicates removed."""
    out: list[CharSpan] = []
    for s in sorted(set(spans), key=lambda x: (x[0], -x[1])):
        if out and s[0] >= out[-1][0] and s[1] <= out[-1][1]:
            continue
        out.append(s)
    return out
