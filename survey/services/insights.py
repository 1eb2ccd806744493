"""What the insights page asks of the read model: filters, the list, counts, NPS with its interval, trends, drivers.

Every function takes the same `InsightFilters` (parsed from the query string, so a view can be shared as a URL)
and reads the narrow `insight_facts` table; verbatims and analyses are loaded only for the rows on screen.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Select, and_, func, literal, literal_column, select, tablesample, tuple_
from sqlalchemy.orm import Session, aliased, joinedload

from survey.models import (
    Account,
    Analysis,
    Category,
    InsightFact,
    InsightFactCategory,
    Survey,
    ThemeMember,
    Verbatim,
)
from survey.models.feedback import SOURCES
from survey.services.insights_facts import category_bits

PAGE_SIZE = 50
BUCKETS = ("promoter", "passive", "detractor")
SENTIMENTS = ("negative", "mixed", "neutral", "positive")
FLAGS = ("praise", "churn_risk", "corrected")
# Annual recurring revenue bands: (key, label, lower bound inclusive, upper bound exclusive)
ARR_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("lt10k", "under 10k", 0, 10_000),
    ("10k-50k", "10k–50k", 10_000, 50_000),
    ("50k-100k", "50k–100k", 50_000, 100_000),
    ("100k-250k", "100k–250k", 100_000, 250_000),
    ("250k+", "250k and more", 250_000, None),
)
PERIODS = ("week", "month")
Z95 = 1.959963984540054


class FilterError(ValueError):
    """A query parameter that cannot be used, with the reason shown to the user."""


@dataclass
class InsightFilters:
    """The filters of the insights page, in their query-string names."""

    start: date | None = None  # ?from=YYYY-MM-DD
    end: date | None = None  # ?to=YYYY-MM-DD (inclusive)
    survey: int | None = None
    bucket: str | None = None
    category: str | None = None
    sentiment: str | None = None
    channel: str | None = None
    plan: str | None = None
    arr: str | None = None
    segment: str | None = None
    account: int | None = None
    flag: str | None = None
    theme: int | None = None
    q: str = ""
    like: int | None = None
    extra: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InsightFilters:
        """Parse and validate query parameters; empty values mean "any"."""
        def get(name: str) -> str:
            return (args.get(name) or "").strip()

        f = cls()
        f.start = _date(get("from"), "from")
        f.end = _date(get("to"), "to")
        if f.start and f.end and f.start > f.end:
            raise FilterError("from must be on or before to.")
        f.survey = _int(get("survey"), "survey")
        f.account = _int(get("account"), "account")
        f.theme = _int(get("theme"), "theme")
        f.like = _int(get("like"), "like")
        f.bucket = _choice(get("bucket"), BUCKETS, "bucket")
        f.sentiment = _choice(get("sentiment"), SENTIMENTS, "sentiment")
        f.channel = _choice(get("channel"), SOURCES, "channel")
        f.flag = _choice(get("flag"), FLAGS, "flag")
        f.arr = _choice(get("arr"), tuple(b[0] for b in ARR_BANDS), "arr")
        f.category = get("category")[:60] or None
        f.plan = get("plan")[:50] or None
        f.segment = get("segment")[:50] or None
        f.q = get("q")[:300]
        return f

    def to_args(self, **overrides: Any) -> dict[str, str]:
        """Non-empty filters as query parameters (for links, exports and pagination)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        values.update(overrides)
        out: dict[str, str] = {}
        for name, value in values.items():
            if value in (None, ""):
                continue
            key = {"start": "from", "end": "to"}.get(name, name)
            out[key] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    @property
    def searching(self) -> bool:
        """Ranked by similarity (a search or "more like this") rather than newest first."""
        return bool(self.q) or self.like is not None

    @property
    def active(self) -> list[tuple[str, str]]:
        """(parameter, value) of each filter in use, for the "remove filter" chips."""
        return [(k, v) for k, v in self.to_args().items()]

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if k != "extra"}


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name} must be a date like 2025-01-31.") from None


def _int(value: str, name: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise FilterError(f"{name} must be a whole number.")
    return int(value)


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise FilterError(f"{name} must be one of {', '.join(allowed)}.")
    return value


def has_category(fact: Any, bit: int) -> Any:
    """The fact is tagged with the category of this bit."""
    return fact.category_mask.op("&")(literal(1 << bit, BigInteger)) != 0


def bits_of(session: Session) -> dict[str, int]:
    """Category bits, read once per session transaction (a handful of rows)."""
    cached = session.info.get("insight_category_bits")
    if cached is None:
        cached = session.info["insight_category_bits"] = category_bits(session)
    return cached


def conditions(f: InsightFilters, fact: Any = InsightFact, bits: dict[str, int] | None = None) -> list[Any]:
    """SQL conditions on InsightFact (or a sample of it) for these filters; search terms are the search service's.

    With the category bits, a category filter is a bit test on the row; without (or for a category beyond the
    62 bits), a semi-join with insight_fact_categories.
    """
    c: list[Any] = []
    if f.start:
        c.append(fact.created_at >= datetime.combine(f.start, datetime.min.time()))
    if f.end:
        c.append(fact.created_at < datetime.combine(f.end + timedelta(days=1), datetime.min.time()))
    if f.survey is not None:
        c.append(fact.survey_id == f.survey)
    if f.bucket:
        c.append(fact.bucket == f.bucket)
    if f.sentiment:
        c.append(fact.sentiment == f.sentiment)
    if f.channel:
        c.append(fact.source == f.channel)
    if f.account is not None:
        c.append(fact.account_id == f.account)
    if f.flag:
        c.append(getattr(InsightFact, f.flag).is_(True))
    accounts = []
    if f.plan:
        accounts.append(Account.plan == f.plan)
    if f.segment:
        accounts.append(Account.segment == f.segment)
    if f.arr:
        _key, _label, lo, hi = next(b for b in ARR_BANDS if b[0] == f.arr)
        accounts.append(Account.arr >= lo)
        if hi is not None:
            accounts.append(Account.arr < hi)
    if accounts:
        c.append(fact.account_id.in_(select(Account.id).where(*accounts)))
    if f.category:
        if bits and f.category in bits:
            c.append(has_category(fact, bits[f.category]))
        else:
            c.append(fact.id.in_(
                select(InsightFactCategory.fact_id).where(InsightFactCategory.category_key == f.category)))
    if f.theme is not None:
        c.append(fact.verbatim_id.in_(select(ThemeMember.verbatim_id).where(ThemeMember.theme_id == f.theme)))
    return c


# ---------------------------------------------------------------- large sets: estimate from a sample

SAMPLE_ABOVE = 150_000  # filtered sets estimated larger than this are counted on a sample (PostgreSQL)
SAMPLE_TARGET = 60_000  # rows the sample should hold


def estimate_rows(session: Session, query: Any) -> int | None:
    """The PostgreSQL planner's row estimate for a query (no rows are read); None elsewhere."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    compiled = query.compile(dialect=session.get_bind().dialect)
    plan = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled),
                                                dict(compiled.params)).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


@dataclass
class FactSource:
    """Where counts come from: the facts table, or a repeatable page sample of it and the factor to scale by."""

    fact: Any
    scale: float = 1.0

    @property
    def sampled(self) -> bool:
        return self.scale != 1.0

    @property
    def percent(self) -> float:
        return 100.0 / self.scale


def fact_source(session: Session, f: InsightFilters) -> FactSource:
    """Exact counts for ordinary filters; a TABLESAMPLE for filters matching hundreds of thousands of rows.

    An estimate from a random sample of 60,000 answers is as good as the full count for a chart or an NPS
    (its interval is computed from the sample's own size, so it stays honest) and costs a twentieth.
    """
    estimate = estimate_rows(session, select(InsightFact.id).where(*conditions(f, bits=bits_of(session))))
    if estimate is None or estimate <= SAMPLE_ABOVE:
        return FactSource(InsightFact)
    percent = max(0.5, min(100.0, 100.0 * SAMPLE_TARGET / estimate))
    sample = tablesample(InsightFact.__table__, func.system(percent), name="fact_sample", seed=literal(6))
    return FactSource(aliased(InsightFact, sample), 100.0 / percent)


# ---------------------------------------------------------------- the list


@dataclass
class FeedbackRow:
    """A verbatim as a row of the browser: text, analysis, score, account, and its search relevance."""

    verbatim: Verbatim
    analysis: Analysis | None
    score: int | None
    bucket: str | None
    survey_kind: str | None
    similarity: float | None = None
    keyword: bool = False


def encode_cursor(created_at: datetime, verbatim_id: int) -> str:
    """Keyset position of a row: pages stay fast however deep they go."""
    return f"{created_at.isoformat(timespec='microseconds')}_{verbatim_id}"


def decode_cursor(value: str) -> tuple[datetime, int]:
    try:
        stamp, _, vid = value.rpartition("_")
        return datetime.fromisoformat(stamp), int(vid)
    except ValueError:
        raise FilterError("after must be a position from a page link.") from None


def feedback_page(session: Session, f: InsightFilters, after: str | None = None,
                  limit: int = PAGE_SIZE) -> tuple[list[FeedbackRow], str | None]:
    """One page of verbatims, newest first, from a keyset cursor; returns the rows and the next cursor."""
    query = (select(InsightFact.verbatim_id, InsightFact.created_at)
             .where(InsightFact.has_text.is_(True), *conditions(f, bits=bits_of(session)))
             .order_by(InsightFact.created_at.desc(), InsightFact.verbatim_id.desc())
             .limit(limit + 1))
    if after:
        stamp, vid = decode_cursor(after)
        query = query.where(tuple_(InsightFact.created_at, InsightFact.verbatim_id) < tuple_(stamp, vid))
    keys = session.execute(query).all()
    more = len(keys) > limit
    keys = keys[:limit]
    rows = load_rows(session, [k.verbatim_id for k in keys])
    next_cursor = encode_cursor(keys[-1].created_at, keys[-1].verbatim_id) if more and keys else None
    return rows, next_cursor


def load_rows(session: Session, verbatim_ids: list[int]) -> list[FeedbackRow]:
    """Verbatims with their current analysis and score, in the order given."""
    if not verbatim_ids:
        return []
    facts = {f.verbatim_id: f for f in session.scalars(
        select(InsightFact).where(InsightFact.verbatim_id.in_(verbatim_ids)))}
    verbatims = {v.id: v for v in session.scalars(
        select(Verbatim).options(joinedload(Verbatim.account), joinedload(Verbatim.contact))
        .where(Verbatim.id.in_(verbatim_ids))).unique()}
    analysis_ids = [f.analysis_id for f in facts.values() if f.analysis_id]
    analyses = {a.id: a for a in session.scalars(select(Analysis).where(Analysis.id.in_(analysis_ids)))} \
        if analysis_ids else {}
    rows = []
    for vid in verbatim_ids:
        v = verbatims.get(vid)
        fact = facts.get(vid)
        if v is None or fact is None:
            continue
        rows.append(FeedbackRow(v, analyses.get(fact.analysis_id) if fact.analysis_id else None, fact.score,
                                fact.bucket, fact.survey_kind))
    return rows


def export_rows(session: Session, f: InsightFilters, verbatim_ids: list[int] | None = None,
                chunk: int = 1000, limit: int = 100_000) -> Any:
    """Yield the filtered verbatims as flat dicts, newest first (or in the search ranking), a chunk at a time."""
    emitted = 0
    after: str | None = None
    if verbatim_ids is not None:
        for start in range(0, len(verbatim_ids), chunk):
            yield from (_export_dict(r) for r in load_rows(session, verbatim_ids[start:start + chunk]))
        return
    while emitted < limit:
        rows, after = feedback_page(session, f, after, limit=min(chunk, limit - emitted))
        for row in rows:
            yield _export_dict(row)
        emitted += len(rows)
        if after is None:
            return


def _export_dict(row: FeedbackRow) -> dict[str, Any]:
    a = row.analysis
    return {
        "verbatim_id": row.verbatim.id,
        "date": row.verbatim.created_at.isoformat(timespec="seconds"),
        "channel": row.verbatim.source,
        "score": row.score,
        "nps_bucket": row.bucket,
        "account": row.verbatim.account.name if row.verbatim.account else None,
        "plan": row.verbatim.account.plan if row.verbatim.account else None,
        "segment": row.verbatim.account.segment if row.verbatim.account else None,
        "text": row.verbatim.text,
        "categories": list(a.category_keys) if a else [],
        "sentiment": a.sentiment if a else None,
        "praise": bool(a.praise) if a else False,
        "churn_risk": bool(a.churn_risk) if a else False,
        "similarity": round(row.similarity, 4) if row.similarity is not None else None,
    }


# ---------------------------------------------------------------- counts and NPS


@dataclass
class NpsEstimate:
    """NPS with its 95% interval (adjusted Wald on the promoter/passive/detractor trinomial)."""

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    low: float | None
    high: float | None

    @property
    def margin(self) -> float | None:
        return None if self.low is None or self.high is None else (self.high - self.low) / 2

    def share(self, part: str) -> float:
        return 0.0 if not self.n else 100.0 * getattr(self, part + "s" if part != "passive" else "passives") / self.n


def nps_interval(promoters: int, passives: int, detractors: int, z: float = Z95) -> NpsEstimate:
    """NPS and its confidence interval from bucket counts.

    NPS is a difference of two proportions of one multinomial sample: Var(p - d) = (p + d - (p - d)^2) / n.
    The adjusted Wald variant (Sauro and Lewis) adds 3/4 of a promoter and of a detractor and 3/2 of a passive
    (n + 3 in all) before computing the interval, so it stays sensible for small samples and at the extremes;
    the point estimate is the plain NPS. Bounds are clamped to [-100, 100].
    """
    n = promoters + passives + detractors
    if n == 0:
        return NpsEstimate(0, 0, 0, 0, None, None, None)
    nps = 100.0 * (promoters - detractors) / n
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    centre = p - d
    se = math.sqrt(max(p + d - centre * centre, 0.0) / n_adj)
    low = max(-100.0, 100.0 * (centre - z * se))
    high = min(100.0, 100.0 * (centre + z * se))
    return NpsEstimate(n, promoters, passives, detractors, nps, low, high)


@dataclass
class Summary:
    """The numbers over the list: how many verbatims match, and the NPS of the matching answers."""

    verbatims: int
    estimate: NpsEstimate
    sentiments: dict[str, int]
    praise: int
    churn_risk: int
    estimated: bool = False  # counted on a sample of the facts
    sample_percent: float = 100.0
    categories: list[tuple[str, int]] = field(default_factory=list)  # facets: (key, verbatims), most first


def _count_if(condition: Any) -> Any:
    """COUNT(*) FILTER (WHERE …): one pass computes every count (PostgreSQL, and SQLite 3.30+)."""
    return func.count().filter(condition)


def _bucket_sums(fact: Any = InsightFact) -> list[Any]:
    nps = fact.survey_kind == "nps"
    return [_count_if(and_(nps, fact.bucket == b)) for b in BUCKETS]


def summary(session: Session, f: InsightFilters, verbatim_ids: list[int] | None = None,
            source: FactSource | None = None) -> Summary:
    """Counts over the filtered set (or over these verbatims, for a search) and the category facets, in one scan.

    On a sample, counts are scaled up (shown as estimates) while NPS and its interval use the sample's own
    counts, so the interval reflects what was actually read.
    """
    src = source or (FactSource(InsightFact) if verbatim_ids is not None else fact_source(session, f))
    fact = src.fact
    bits = bits_of(session)
    has_text = fact.has_text.is_(True)
    keys = sorted(bits)
    cols = [_count_if(has_text), *_bucket_sums(fact),
            *[_count_if(and_(has_text, fact.sentiment == s)) for s in SENTIMENTS],
            _count_if(and_(has_text, fact.praise.is_(True))),
            _count_if(and_(has_text, fact.churn_risk.is_(True))),
            *[_count_if(and_(has_text, has_category(fact, bits[k]))) for k in keys]]
    query = select(*cols)
    if verbatim_ids is not None:
        query = query.where(fact.verbatim_id.in_(verbatim_ids or [-1]))
    else:
        query = query.where(*conditions(f, fact, bits))
    row = [int(x or 0) for x in session.execute(query).one()]
    k = src.scale
    facets = sorted(((key, round(n * k)) for key, n in zip(keys, row[10:], strict=True) if n),
                    key=lambda kv: (-kv[1], kv[0]))
    return Summary(round(row[0] * k), nps_interval(row[1], row[2], row[3]),
                   dict(zip(SENTIMENTS, (round(x * k) for x in row[4:8]), strict=True)), round(row[8] * k),
                   round(row[9] * k), src.sampled, src.percent, facets)


def category_counts(session: Session, f: InsightFilters, limit: int = 12,
                    source: FactSource | None = None) -> list[tuple[str, int]]:
    """The categories most often tagged in the filtered set (facet chips)."""
    return summary(session, f, source=source).categories[:limit]


# ---------------------------------------------------------------- over time


def period_start_expr(session: Session, column: Any, period: str) -> Any:
    """The start of the week (Monday) or month of a timestamp, as text YYYY-MM-DD, in this dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc(period, column), literal_column("'YYYY-MM-DD'"))
    if period == "month":
        return func.strftime("%Y-%m-01", column)
    # SQLite: 'weekday 0' moves forward to Sunday; six days back is that week's Monday.
    return func.date(column, "weekday 0", "-6 days")


def _periods(first: date, last: date, period: str) -> list[str]:
    """Every period start between two dates, so gaps show as gaps rather than disappearing."""
    out = []
    if period == "month":
        cur = first.replace(day=1)
        while cur <= last:
            out.append(cur.isoformat())
            cur = (cur.replace(day=28) + timedelta(days=4)).replace(day=1)
    else:
        cur = first - timedelta(days=first.weekday())
        while cur <= last:
            out.append(cur.isoformat())
            cur += timedelta(days=7)
    return out


def nps_over_time(session: Session, f: InsightFilters, period: str = "week",
                  source: FactSource | None = None) -> list[dict[str, Any]]:
    """NPS per week or month with its 95% interval, the number of answers and the bucket shares."""
    src = source or fact_source(session, f)
    fact = src.fact
    bucket_col = period_start_expr(session, fact.created_at, period).label("period")
    query = (select(bucket_col, *_bucket_sums(fact))
             .where(fact.survey_kind == "nps", fact.bucket.is_not(None), *conditions(f, fact))
             .group_by(bucket_col).order_by(bucket_col))
    found = {str(p)[:10]: (int(a or 0), int(b or 0), int(c or 0)) for p, a, b, c in session.execute(query)}
    if not found:
        return []
    keys = _periods(date.fromisoformat(min(found)), date.fromisoformat(max(found)), period)
    series = []
    for key in keys:
        est = nps_interval(*found.get(key, (0, 0, 0)))
        series.append({
            "period": key, "n": est.n, "answers": round(est.n * src.scale), "nps": _r(est.nps),
            "low": _r(est.low), "high": _r(est.high), "promoters": _r(est.share("promoter")),
            "passives": _r(est.share("passive")), "detractors": _r(est.share("detractor")),
        })
    return series


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def category_trends(session: Session, f: InsightFilters, period: str = "month",
                    keys: list[str] | None = None, source: FactSource | None = None) -> dict[str, Any]:
    """Each category's volume, detractor share and net sentiment per period, from one grouped scan."""
    src = source or fact_source(session, f)
    fact = src.fact
    bits = bits_of(session)
    wanted = [k for k in (keys or sorted(bits)) if k in bits]
    if not wanted:
        return {"periods": [], "categories": []}
    p = period_start_expr(session, fact.created_at, period).label("period")
    cols: list[Any] = []
    for key in wanted:
        tagged = has_category(fact, bits[key])
        cols += [_count_if(tagged), _count_if(and_(tagged, fact.bucket == "detractor")),
                 _count_if(and_(tagged, fact.bucket.is_not(None))),
                 _count_if(fact.positive_mask.op("&")(literal(1 << bits[key], BigInteger)) != 0),
                 _count_if(fact.negative_mask.op("&")(literal(1 << bits[key], BigInteger)) != 0)]
    query = (select(p, *cols).where(fact.has_text.is_(True), fact.category_mask != 0, *conditions(f, fact, bits))
             .group_by(p))
    cells: dict[str, dict[str, tuple[int, ...]]] = {}
    for row in session.execute(query):
        period_key = str(row[0])[:10]
        for i, key in enumerate(wanted):
            values = tuple(int(x or 0) for x in row[1 + 5 * i: 6 + 5 * i])
            if values[0]:
                cells.setdefault(key, {})[period_key] = values
    all_periods = sorted({k for c in cells.values() for k in c})
    if not all_periods:
        return {"periods": [], "categories": []}
    periods = _periods(date.fromisoformat(all_periods[0]), date.fromisoformat(all_periods[-1]), period)
    names = category_names(session)
    out = []
    for key, by_period in sorted(cells.items(), key=lambda kv: -sum(v[0] for v in kv[1].values())):
        volume, det_share, net = [], [], []
        for pk in periods:
            n, det, scored, pos, neg = by_period.get(pk, (0, 0, 0, 0, 0))
            volume.append(round(n * src.scale))
            det_share.append(_r(100.0 * det / scored) if scored else None)
            net.append(_r(100.0 * (pos - neg) / n) if n else None)
        out.append({"key": key, "name": names.get(key, key.replace("_", " ")), "total": sum(volume),
                    "volume": volume, "detractor_share": det_share, "net_sentiment": net})
    return {"periods": periods, "categories": out}


def category_names(session: Session) -> dict[str, str]:
    """Category key to display name, from the user's taxonomy."""
    return {k: n for k, n in session.execute(select(Category.key, Category.name))}


# ---------------------------------------------------------------- drivers


@dataclass
class Driver:
    """What one category does to NPS: the NPS of all answers minus the NPS without the answers tagged with it."""

    key: str
    name: str
    tagged: int
    share: float  # of scored NPS answers, percent
    nps_tagged: float | None
    nps_without: float | None
    impact: float  # points: positive means the category costs NPS

    @property
    def direction(self) -> str:
        return "costs" if self.impact > 0.05 else ("adds" if self.impact < -0.05 else "neutral")


def drivers(session: Session, f: InsightFilters,
            source: FactSource | None = None) -> tuple[NpsEstimate, list[Driver]]:
    """The driver table: how many NPS points each category costs, largest cost first.

    NPS without a category is computed on the scored NPS answers that are not tagged with it, so a category's
    impact is NPS(all except tagged) - NPS(all): removing detractor-heavy categories raises NPS, which shows
    as a positive cost.
    """
    src = source or fact_source(session, f)
    fact = src.fact
    bits = bits_of(session)
    keys = sorted(bits)
    nps_rows = and_(fact.survey_kind == "nps", fact.bucket.is_not(None))
    cols = list(_bucket_sums(fact))
    for key in keys:
        tagged = has_category(fact, bits[key])
        cols += [_count_if(and_(tagged, fact.bucket == b)) for b in BUCKETS]
    row = [int(x or 0) for x in session.execute(select(*cols).where(nps_rows, *conditions(f, fact, bits))).one()]
    overall = nps_interval(*row[:3])
    per_key = [(key, *row[3 + 3 * i: 6 + 3 * i]) for i, key in enumerate(keys)]
    query = [r for r in per_key if sum(r[1:])]
    names = category_names(session)
    out = []
    for key, pro, pas, det in query:
        pro, pas, det = int(pro or 0), int(pas or 0), int(det or 0)
        tagged = pro + pas + det
        without = nps_interval(overall.promoters - pro, overall.passives - pas, overall.detractors - det)
        inside = nps_interval(pro, pas, det)
        impact = 0.0 if overall.nps is None or without.nps is None else without.nps - overall.nps
        out.append(Driver(key, names.get(key, key.replace("_", " ")), round(tagged * src.scale),
                          100.0 * tagged / overall.n if overall.n else 0.0, inside.nps, without.nps, impact))
    out.sort(key=lambda d: (-d.impact, d.key))
    return overall, out


# ---------------------------------------------------------------- filter options


def filter_options(session: Session) -> dict[str, Any]:
    """What the filter menus offer: surveys, categories, plans, segments, channels, ARR bands."""
    return {
        "surveys": session.execute(select(Survey.id, Survey.name).order_by(Survey.name)).all(),
        "categories": session.execute(select(Category.key, Category.name).where(Category.active.is_(True))
                                      .order_by(Category.name)).all(),
        "plans": [p for p in session.scalars(select(Account.plan).distinct().order_by(Account.plan)) if p],
        "segments": [s for s in session.scalars(select(Account.segment).distinct().order_by(Account.segment)) if s],
        "channels": SOURCES,
        "arr_bands": [(k, label) for k, label, _lo, _hi in ARR_BANDS],
        "buckets": BUCKETS,
        "sentiments": SENTIMENTS,
        "flags": FLAGS,
    }


def account_choice(session: Session, account_id: int | None) -> Account | None:
    return session.get(Account, account_id) if account_id else None


def base_query(f: InsightFilters, bits: dict[str, int] | None = None) -> Select[Any]:
    """Verbatim ids of the filtered set (the search service narrows candidates with it)."""
    return select(InsightFact.verbatim_id).where(InsightFact.has_text.is_(True), *conditions(f, bits=bits))
