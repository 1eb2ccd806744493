"""The CSM's queue: visible open tasks, filtered and ranked, each with its root causes and highlighted words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from survey.models import Analysis, RecoveryTask, RecoveryTaskVerbatim, User, Verbatim
from survey.models.actions import OPEN_TASK_STATUSES
from survey.services.recovery import Priority, SlaState, is_overdue, rank, sla_state, visibility

SCOPES = ("mine", "unassigned", "team", "overdue", "all")
SCOPE_LABELS = {"mine": "Mine", "unassigned": "Unassigned", "team": "My team", "overdue": "Overdue", "all": "All"}
SORTS = {"priority": "Priority", "due": "Due date", "age": "Oldest first", "arr": "ARR", "score": "Lowest score"}
PRIORITIES = ("high", "medium", "low")
REASONS = {"detractor": "Detractor", "churn_risk": "Churn risk"}
MAX_TASKS = 1000
EXCERPT_CHARS = 220


class FilterError(ValueError):
    """A filter value in the URL that the queue does not know."""


@dataclass(frozen=True)
class QueueFilters:
    """What the CSM chose to look at; all of it lives in the URL."""

    scope: str
    sort: str = "priority"
    priority: str = ""
    reason: str = ""
    cause: str = ""
    q: str = ""

    def args(self, **changes: str) -> dict[str, str]:
        """Query-string arguments (defaults left out), with some changed: for tab and sort links."""
        values = {**self.__dict__, **changes}
        return {k: v for k, v in values.items() if v and not (k == "sort" and v == "priority")}


def default_scope(user: User) -> str:
    """CSMs open on their own tasks, admins on everything."""
    return "all" if user.role == "admin" else "mine"


def scopes_for(user: User) -> list[str]:
    """Tabs this user gets: 'My team' only with a team, 'All' only for admins."""
    return [s for s in SCOPES if (s != "team" or user.team) and (s != "all" or user.role == "admin")]


def parse_filters(args: Mapping[str, str], user: User) -> QueueFilters:
    """Validate the URL's filters; unknown values raise FilterError so the page can say which."""
    scope = args.get("scope") or default_scope(user)
    if scope not in SCOPES:
        raise FilterError(f"scope must be one of {', '.join(SCOPES)}.")
    sort = args.get("sort") or "priority"
    if sort not in SORTS:
        raise FilterError(f"sort must be one of {', '.join(SORTS)}.")
    priority = args.get("priority") or ""
    if priority and priority not in PRIORITIES:
        raise FilterError(f"priority must be one of {', '.join(PRIORITIES)}.")
    reason = args.get("reason") or ""
    if reason and reason not in REASONS:
        raise FilterError(f"reason must be one of {', '.join(REASONS)}.")
    cause = (args.get("cause") or "").strip()[:60]
    q = (args.get("q") or "").strip()[:100]
    return QueueFilters(scope=scope, sort=sort, priority=priority, reason=reason, cause=cause, q=q)


@dataclass(frozen=True)
class Segment:
    """A piece of a verbatim: plain text, or evidence marked as a root cause, praise or churn talk."""

    text: str
    kind: str | None = None  # cause | praise | churn
    label: str | None = None  # the category it is evidence for


@dataclass
class QueueRow:
    """One task as the queue shows it."""

    task: RecoveryTask
    priority: Priority
    sla: SlaState
    causes: list[str]
    praise: list[str]
    excerpt: list[Segment]
    verbatims: int
    source: str | None


@dataclass
class Queue:
    """The rows of the chosen view, and how many tasks each tab holds."""

    rows: list[QueueRow]
    counts: dict[str, int]
    filters: QueueFilters
    causes: list[str] = field(default_factory=list)  # root causes present in this user's open tasks


def load_queue(session: Session, user: User, filters: QueueFilters, now: datetime, *, high_arr: int,
               due_soon_hours: int = 24) -> Queue:
    """Open tasks this user may see, counted per tab, filtered and ranked for the chosen view."""
    tasks = list(session.scalars(
        select(RecoveryTask)
        .options(joinedload(RecoveryTask.account), joinedload(RecoveryTask.contact),
                 joinedload(RecoveryTask.owner))
        .where(RecoveryTask.status.in_(OPEN_TASK_STATUSES), visibility(user))
        .order_by(RecoveryTask.priority_score.desc(), RecoveryTask.id)
        .limit(MAX_TASKS)
    ).unique().all())
    in_scope = {scope: [t for t in tasks if _in_scope(t, scope, user, now)] for scope in scopes_for(user)}
    counts = {scope: len(rows) for scope, rows in in_scope.items()}
    chosen = in_scope.get(filters.scope) or [t for t in tasks if _in_scope(t, filters.scope, user, now)]
    details = _task_texts(session, [t.id for t in tasks])
    rows = [_row(t, details.get(t.id), now, high_arr, due_soon_hours) for t in chosen]
    all_causes = sorted({c for d in details.values() for c in d.causes})
    rows = [r for r in rows if _matches(r, filters)]
    rows.sort(key=_SORT_KEYS[filters.sort])
    return Queue(rows=rows, counts=counts, filters=filters, causes=all_causes)


def queue_row(session: Session, task: RecoveryTask, now: datetime, *, high_arr: int,
              due_soon_hours: int = 24) -> QueueRow:
    """One row, for the in-place update after claiming, assigning or changing status."""
    return _row(task, _task_texts(session, [task.id]).get(task.id), now, high_arr, due_soon_hours)


def _in_scope(task: RecoveryTask, scope: str, user: User, now: datetime) -> bool:
    if scope == "mine":
        return task.owner_id == user.id
    if scope == "unassigned":
        return task.owner_id is None
    if scope == "team":
        if not user.team:
            return False
        if task.owner_id is None:
            return task.account is not None and task.account.segment == user.team
        return task.owner_id == user.id or (task.owner is not None and task.owner.team == user.team)
    if scope == "overdue":
        return is_overdue(task, now)
    return True


def _matches(row: QueueRow, filters: QueueFilters) -> bool:
    task = row.task
    if filters.priority and task.priority != filters.priority:
        return False
    if filters.reason and not (task.reason == filters.reason or (filters.reason == "churn_risk" and task.churn_risk)):
        return False
    if filters.cause and filters.cause not in row.causes:
        return False
    if filters.q:
        needle = filters.q.lower()
        haystack = " ".join(filter(None, [
            task.account.name if task.account else None, task.contact.name if task.contact else None,
            task.contact.email if task.contact else None])).lower()
        if needle not in haystack:
            return False
    return True


_SORT_KEYS: dict[str, Any] = {
    "priority": lambda r: (-r.priority.points, r.task.due_at),
    "due": lambda r: (r.task.due_at, -r.priority.points),
    "age": lambda r: (r.task.created_at, -r.priority.points),
    "arr": lambda r: (-(r.task.account.arr if r.task.account else 0), -r.priority.points),
    "score": lambda r: (r.task.score if r.task.score is not None else 99, -r.priority.points),
}


@dataclass
class _TaskText:
    """What a task's verbatims say: root causes, praise, and the excerpt to show."""

    causes: list[str] = field(default_factory=list)
    praise: list[str] = field(default_factory=list)
    excerpt: list[Segment] = field(default_factory=list)
    verbatims: int = 0
    source: str | None = None


def _row(task: RecoveryTask, text: _TaskText | None, now: datetime, high_arr: int, due_soon_hours: int) -> QueueRow:
    text = text or _TaskText()
    return QueueRow(task=task, priority=rank(task, now, high_arr, due_soon_hours),
                    sla=sla_state(task, now, due_soon_hours), causes=text.causes, praise=text.praise,
                    excerpt=text.excerpt, verbatims=text.verbatims, source=text.source)


def _task_texts(session: Session, task_ids: Sequence[int]) -> dict[int, _TaskText]:
    """Root causes over all of a task's verbatims; the excerpt from the newest one that has words."""
    if not task_ids:
        return {}
    links = session.execute(
        select(RecoveryTaskVerbatim.task_id, Verbatim)
        .join(Verbatim, Verbatim.id == RecoveryTaskVerbatim.verbatim_id)
        .where(RecoveryTaskVerbatim.task_id.in_(list(task_ids)))
        .order_by(Verbatim.created_at, Verbatim.id)
    ).all()
    analyses = latest_analyses(session, [v.id for _, v in links])
    out: dict[int, _TaskText] = {}
    for task_id, verbatim in links:
        entry = out.setdefault(task_id, _TaskText())
        entry.verbatims += 1
        analysis = analyses.get(verbatim.id)
        causes, praise = root_causes(analysis)
        entry.causes += [c for c in causes if c not in entry.causes]
        entry.praise += [p for p in praise if p not in entry.praise]
        if verbatim.text.strip():
            entry.excerpt = excerpt(verbatim.text, analysis)
            entry.source = verbatim.source
        elif entry.source is None:
            entry.source = verbatim.source
    return out


def latest_analyses(session: Session, verbatim_ids: Sequence[int]) -> dict[int, Analysis]:
    """The newest analysis of each verbatim (the one the app acts on), in one query."""
    if not verbatim_ids:
        return {}
    newest = (select(func.max(Analysis.id)).where(Analysis.verbatim_id.in_(list(verbatim_ids)))
              .group_by(Analysis.verbatim_id))
    return {a.verbatim_id: a for a in session.scalars(select(Analysis).where(Analysis.id.in_(newest)))}


def root_causes(analysis: Analysis | None) -> tuple[list[str], list[str]]:
    """Category keys the customer complains about, and those they praise inside the same words."""
    if analysis is None:
        return [], []
    causes, praise = [], []
    for c in analysis.categories or []:
        key = c.get("key")
        if not key:
            continue
        (praise if c.get("polarity") == "positive" else causes).append(key)
    return causes, praise


def highlight(text: str, analysis: Analysis | None) -> list[Segment]:
    """Split a verbatim into plain text and evidence spans (root causes, praise, churn talk), never overlapping."""
    spans: list[tuple[int, int, str, str | None]] = []
    if analysis is not None:
        for c in analysis.categories or []:
            ev = c.get("evidence")
            if ev and isinstance(ev.get("start"), int):
                kind = "praise" if c.get("polarity") == "positive" else "cause"
                spans.append((ev["start"], ev["end"], kind, str(c.get("key") or "")))
        evidence = analysis.evidence or {}
        for kind, key in (("churn", "churn"), ("praise", "praise")):
            for ev in evidence.get(key) or []:
                if isinstance(ev, dict) and isinstance(ev.get("start"), int):
                    spans.append((ev["start"], ev["end"], kind, None))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    segments: list[Segment] = []
    pos = 0
    for start, end, kind, label in spans:
        if start < pos or end > len(text) or end <= start:
            continue  # overlapping or stale evidence (the text changed): skip rather than garble
        if start > pos:
            segments.append(Segment(text[pos:start]))
        segments.append(Segment(text[start:end], kind, label))
        pos = end
    if pos < len(text):
        segments.append(Segment(text[pos:]))
    return segments


def excerpt(text: str, analysis: Analysis | None, limit: int = EXCERPT_CHARS) -> list[Segment]:
    """The highlighted verbatim cut to about `limit` characters around its first root cause."""
    segments = highlight(text, analysis)
    if len(text) <= limit:
        return segments
    offsets, pos = [], 0
    for seg in segments:
        offsets.append(pos)
        pos += len(seg.text)
    first = next((o for o, s in zip(offsets, segments, strict=True) if s.kind == "cause"), 0)
    start = max(0, min(first - 40, len(text) - limit))
    if start:
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space > start - 30 else start
    end = start + limit
    out: list[Segment] = [Segment("…")] if start else []
    for seg_start, seg in zip(offsets, segments, strict=True):
        seg_end = seg_start + len(seg.text)
        if seg_end <= start or seg_start >= end:
            continue
        piece = seg.text[max(start - seg_start, 0): min(end, seg_end) - seg_start]
        out.append(replace(seg, text=piece))
    if end < len(text):
        out.append(Segment("…"))
    return out
