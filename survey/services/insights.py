"""What the insights page asks of the read model: filters, the list, counts, NPS with its interval, trends, drivers.

Every function takes the same `InsightFilters` (parsed from the query string, so a view can be shared as a URL)
and reads the narrow `insight_facts` table; verbatims and analyses are loaded only for the rows on screen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, select, tuple_
from sqlalchemy.orm import Session, joinedload

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


def conditions(f: InsightFilters) -> list[Any]:
    """SQL conditions on InsightFact for these filters (search terms are handled by the search service)."""
    c: list[Any] = []
    if f.start:
        c.append(InsightFact.created_at >= datetime.combine(f.start, datetime.min.time()))
    if f.end:
        c.append(InsightFact.created_at < datetime.combine(f.end + timedelta(days=1), datetime.min.time()))
    if f.survey is not None:
        c.append(InsightFact.survey_id == f.survey)
    if f.bucket:
        c.append(InsightFact.bucket == f.bucket)
    if f.sentiment:
        c.append(InsightFact.sentiment == f.sentiment)
    if f.channel:
        c.append(InsightFact.source == f.channel)
    if f.account is not None:
        c.append(InsightFact.account_id == f.account)
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
        c.append(InsightFact.account_id.in_(select(Account.id).where(*accounts)))
    if f.category:
        c.append(InsightFact.id.in_(
            select(InsightFactCategory.fact_id).where(InsightFactCategory.category_key == f.category)))
    if f.theme is not None:
        c.append(InsightFact.verbatim_id.in_(select(ThemeMember.verbatim_id).where(ThemeMember.theme_id == f.theme)))
    return c


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
             .where(InsightFact.has_text.is_(True), *conditions(f))
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


def _count_if(condition: Any) -> Any:
    """COUNT(*) FILTER (WHERE …): one pass computes every count (PostgreSQL, and SQLite 3.30+)."""
    return func.count().filter(condition)


def _bucket_sums() -> list[Any]:
    nps = InsightFact.survey_kind == "nps"
    return [_count_if(and_(nps, InsightFact.bucket == b)) for b in BUCKETS]


def summary(session: Session, f: InsightFilters, verbatim_ids: list[int] | None = None) -> Summary:
    """Counts over the filtered set (or over these verbatims, for a search) in one scan."""
    text = InsightFact.has_text.is_(True)
    cols = [_count_if(text), *_bucket_sums(),
            *[_count_if(and_(text, InsightFact.sentiment == s)) for s in SENTIMENTS],
            _count_if(and_(text, InsightFact.praise.is_(True))),
            _count_if(and_(text, InsightFact.churn_risk.is_(True)))]
    query = select(*cols)
    if verbatim_ids is not None:
        query = query.where(InsightFact.verbatim_id.in_(verbatim_ids or [-1]))
    else:
        query = query.where(*conditions(f))
    row = [int(x or 0) for x in session.execute(query).one()]
    return Summary(row[0], nps_interval(row[1], row[2], row[3]),
                   dict(zip(SENTIMENTS, row[4:8], strict=True)), row[8], row[9])


def category_counts(session: Session, f: InsightFilters, limit: int = 12) -> list[tuple[str, int]]:
    """The categories most often tagged in the filtered set (facet chips)."""
    only_dates = not conditions(InsightFilters(**{**f.as_dict(), "start": None, "end": None, "q": ""}))
    if only_dates:
        # the (category_key, created_at) index answers this alone: no join with the facts
        c = InsightFactCategory
        query = select(c.category_key, func.count()).group_by(c.category_key)
        if f.start:
            query = query.where(c.created_at >= datetime.combine(f.start, datetime.min.time()))
        if f.end:
            query = query.where(c.created_at < datetime.combine(f.end + timedelta(days=1), datetime.min.time()))
    else:
        query = (select(InsightFactCategory.category_key, func.count())
                 .join(InsightFact, InsightFact.id == InsightFactCategory.fact_id)
                 .where(InsightFact.has_text.is_(True), *conditions(f))
                 .group_by(InsightFactCategory.category_key))
    rows = session.execute(query.order_by(func.count().desc()).limit(limit))
    return [(k, int(n)) for k, n in rows]


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


def nps_over_time(session: Session, f: InsightFilters, period: str = "week") -> list[dict[str, Any]]:
    """NPS per week or month with its 95% interval, the number of answers and the bucket shares."""
    bucket_col = period_start_expr(session, InsightFact.created_at, period).label("period")
    query = (select(bucket_col, *_bucket_sums())
             .where(InsightFact.survey_kind == "nps", InsightFact.bucket.is_not(None), *conditions(f))
             .group_by(bucket_col).order_by(bucket_col))
    found = {str(p)[:10]: (int(a or 0), int(b or 0), int(c or 0)) for p, a, b, c in session.execute(query)}
    if not found:
        return []
    keys = _periods(date.fromisoformat(min(found)), date.fromisoformat(max(found)), period)
    series = []
    for key in keys:
        est = nps_interval(*found.get(key, (0, 0, 0)))
        series.append({
            "period": key, "n": est.n, "nps": _r(est.nps), "low": _r(est.low), "high": _r(est.high),
            "promoters": _r(est.share("promoter")), "passives": _r(est.share("passive")),
            "detractors": _r(est.share("detractor")),
        })
    return series


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def category_trends(session: Session, f: InsightFilters, period: str = "month",
                    keys: list[str] | None = None) -> dict[str, Any]:
    """Each category's volume, detractor share and net sentiment per period."""
    p = period_start_expr(session, InsightFactCategory.created_at, period).label("period")
    query = (select(p, InsightFactCategory.category_key, func.count(),
                    _count_if(InsightFact.bucket == "detractor"), _count_if(InsightFact.bucket.is_not(None)),
                    _count_if(InsightFactCategory.polarity == "positive"),
                    _count_if(InsightFactCategory.polarity == "negative"))
             .join(InsightFact, InsightFact.id == InsightFactCategory.fact_id)
             .where(InsightFact.has_text.is_(True), *conditions(f))
             .group_by(p, InsightFactCategory.category_key))
    if keys:
        query = query.where(InsightFactCategory.category_key.in_(keys))
    cells: dict[str, dict[str, tuple[int, int, int, int, int]]] = {}
    for period_key, key, n, det, scored, pos, neg in session.execute(query):
        cells.setdefault(key, {})[str(period_key)[:10]] = (int(n), int(det or 0), int(scored or 0), int(pos or 0),
                                                          int(neg or 0))
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
            volume.append(n)
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


def drivers(session: Session, f: InsightFilters) -> tuple[NpsEstimate, list[Driver]]:
    """The driver table: how many NPS points each category costs, largest cost first.

    NPS without a category is computed on the scored NPS answers that are not tagged with it, so a category's
    impact is NPS(all) - NPS(all except tagged): removing detractor-heavy categories raises NPS, which shows
    as a positive cost.
    """
    nps_rows = and_(InsightFact.survey_kind == "nps", InsightFact.bucket.is_not(None))
    total = session.execute(select(*_bucket_sums()).where(nps_rows, *conditions(f))).one()
    overall = nps_interval(*(int(x or 0) for x in total))
    query = (select(InsightFactCategory.category_key, *_bucket_sums())
             .join(InsightFact, InsightFact.id == InsightFactCategory.fact_id)
             .where(nps_rows, *conditions(f)).group_by(InsightFactCategory.category_key))
    names = category_names(session)
    out = []
    for key, pro, pas, det in session.execute(query):
        pro, pas, det = int(pro or 0), int(pas or 0), int(det or 0)
        tagged = pro + pas + det
        without = nps_interval(overall.promoters - pro, overall.passives - pas, overall.detractors - det)
        inside = nps_interval(pro, pas, det)
        impact = 0.0 if overall.nps is None or without.nps is None else without.nps - overall.nps
        out.append(Driver(key, names.get(key, key.replace("_", " ")), tagged,
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


def base_query(f: InsightFilters) -> Select[Any]:
    """Verbatim ids of the filtered set (the search service narrows candidates with it)."""
    return select(InsightFact.verbatim_id).where(InsightFact.has_text.is_(True), *conditions(f))
