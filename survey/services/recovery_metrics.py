"""Proof that recovery works: time to first contact, time to resolution and recovery rate, by CSM and root cause.

The cohort is the tasks opened in the chosen period. Recovery rate is the share of resolved tasks whose
follow-up answer moved the contact out of the detractor band (on that survey's own scale), among resolved tasks
whose follow-up has been answered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from survey.models import RecoveryTask, RecoveryTaskVerbatim, Response, Survey
from survey.scoring import bucket
from survey.services.recovery import is_overdue
from survey.services.recovery_queue import latest_analyses, root_causes

PERIODS = {"30": "Last 30 days", "90": "Last 90 days", "180": "Last 6 months", "365": "Last 12 months"}
DEFAULT_PERIOD = "90"


class PeriodError(ValueError):
    """A period the metrics page cannot read."""


@dataclass(frozen=True)
class Period:
    """A half-open range [start, end) of task creation times, and how to say it."""

    start: datetime
    end: datetime
    key: str  # one of PERIODS, or "custom"
    label: str


def parse_period(key: str | None, start: str | None, end: str | None, today: date) -> Period:
    """A preset (last N days) or a custom from/to range of dates, both inclusive."""
    if start or end:
        try:
            first = date.fromisoformat(start) if start else today - timedelta(days=int(DEFAULT_PERIOD) - 1)
            last = date.fromisoformat(end) if end else today
        except ValueError:
            raise PeriodError("Dates must look like 2025-06-30.") from None
        if last < first:
            raise PeriodError("The end date is before the start date.")
        if (last - first).days > 3 * 366:
            raise PeriodError("Choose a period of at most three years.")
        return Period(datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time()), "custom",
                      f"{first:%d %b %Y} – {last:%d %b %Y}")
    key = key or DEFAULT_PERIOD
    if key not in PERIODS:
        raise PeriodError(f"period must be one of {', '.join(PERIODS)}.")
    first = today - timedelta(days=int(key) - 1)
    return Period(datetime.combine(first, time()), datetime.combine(today + timedelta(days=1), time()), key,
                  PERIODS[key])


@dataclass
class Stats:
    """The three measures (and their counts) for one group of tasks."""

    key: str
    label: str
    opened: int = 0
    contacted: int = 0
    resolved: int = 0
    closed_unresolvable: int = 0
    followups_answered: int = 0
    recovered: int = 0
    awaiting_followup: int = 0
    open_now: int = 0
    overdue_now: int = 0
    sla_met: int = 0
    _contact_hours: list[float] = field(default_factory=list, repr=False)
    _resolution_days: list[float] = field(default_factory=list, repr=False)

    @property
    def median_first_contact_hours(self) -> float | None:
        return round(median(self._contact_hours), 1) if self._contact_hours else None

    @property
    def median_resolution_days(self) -> float | None:
        return round(median(self._resolution_days), 1) if self._resolution_days else None

    @property
    def recovery_rate(self) -> float | None:
        """Recovered among answered follow-ups, 0..1 (None until a follow-up is answered)."""
        return self.recovered / self.followups_answered if self.followups_answered else None

    @property
    def sla_rate(self) -> float | None:
        """Share of contacted tasks whose first contact beat the due date."""
        return self.sla_met / self.contacted if self.contacted else None

    def add(self, task: RecoveryTask, followup_bucket: str | None, now: datetime) -> None:
        self.opened += 1
        if task.first_contacted_at is not None:
            self.contacted += 1
            self._contact_hours.append(max((task.first_contacted_at - task.created_at).total_seconds(), 0) / 3600)
            if task.first_contacted_at <= task.due_at:
                self.sla_met += 1
        if task.status == "resolved" and task.resolved_at is not None:
            self.resolved += 1
            self._resolution_days.append(max((task.resolved_at - task.created_at).total_seconds(), 0) / 86400)
            if followup_bucket is not None:
                self.followups_answered += 1
                self.recovered += followup_bucket != "detractor"
            else:
                self.awaiting_followup += 1
        elif task.status == "unresolvable":
            self.closed_unresolvable += 1
        else:
            self.open_now += 1
            self.overdue_now += is_overdue(task, now)


@dataclass
class Metrics:
    """Everything the metrics page shows for one period."""

    period: Period
    overall: Stats
    by_csm: list[Stats]
    by_cause: list[Stats]
    weeks: list[dict[str, object]]


def recovery_metrics(session: Session, period: Period, now: datetime) -> Metrics:
    """Measure the cohort of tasks opened in the period, overall, per CSM and per root cause."""
    tasks = list(session.scalars(
        select(RecoveryTask).options(joinedload(RecoveryTask.owner))
        .where(RecoveryTask.created_at >= period.start, RecoveryTask.created_at < period.end)
        .order_by(RecoveryTask.created_at)
    ).unique().all())
    followups = _followup_buckets(session, [t.followup_response_id for t in tasks if t.followup_response_id])
    causes = _task_causes(session, [t.id for t in tasks])
    overall = Stats("all", "All tasks")
    by_csm: dict[str, Stats] = {}
    by_cause: dict[str, Stats] = {}
    for task in tasks:
        band = followups.get(task.followup_response_id) if task.followup_response_id else None
        overall.add(task, band, now)
        owner_key = str(task.owner_id) if task.owner_id else "none"
        by_csm.setdefault(owner_key, Stats(owner_key, task.owner.name if task.owner else "Unassigned")).add(
            task, band, now)
        for cause in causes.get(task.id) or ["unclassified"]:
            by_cause.setdefault(cause, Stats(cause, cause.replace("_", " ").capitalize())).add(task, band, now)
    return Metrics(period=period, overall=overall,
                   by_csm=sorted(by_csm.values(), key=lambda s: (s.key == "none", s.label)),
                   by_cause=sorted(by_cause.values(), key=lambda s: -s.opened),
                   weeks=_weeks(tasks, period))


def _followup_buckets(session: Session, response_ids: Iterable[int]) -> dict[int, str | None]:
    ids = list(response_ids)
    if not ids:
        return {}
    rows = session.execute(select(Response.id, Response.score, Survey.kind)
                           .join(Survey, Survey.id == Response.survey_id).where(Response.id.in_(ids)))
    return {rid: bucket(kind, score) for rid, score, kind in rows}


def _task_causes(session: Session, task_ids: list[int]) -> dict[int, list[str]]:
    """The root causes (complaint categories) of each task, over all its verbatims."""
    if not task_ids:
        return {}
    links = session.execute(select(RecoveryTaskVerbatim.task_id, RecoveryTaskVerbatim.verbatim_id)
                            .where(RecoveryTaskVerbatim.task_id.in_(task_ids))).all()
    analyses = latest_analyses(session, [vid for _, vid in links])
    out: dict[int, list[str]] = defaultdict(list)
    for task_id, vid in links:
        for cause in root_causes(analyses.get(vid))[0]:
            if cause not in out[task_id]:
                out[task_id].append(cause)
    return out


def _weeks(tasks: list[RecoveryTask], period: Period) -> list[dict[str, object]]:
    """Tasks opened and resolved per week (weeks start on Monday), for the trend chart."""
    first = period.start.date() - timedelta(days=period.start.weekday())
    weeks: list[dict[str, object]] = []
    index: dict[date, dict[str, object]] = {}
    day = first
    while day < period.end.date():
        entry: dict[str, object] = {"week": f"{day:%d %b}", "opened": 0, "resolved": 0}
        weeks.append(entry)
        index[day] = entry
        day += timedelta(days=7)
    for task in tasks:
        week = task.created_at.date() - timedelta(days=task.created_at.weekday())
        if week in index:
            index[week]["opened"] = int(index[week]["opened"]) + 1  # type: ignore[call-overload]
        if task.resolved_at is not None and task.status == "resolved":
            rweek = task.resolved_at.date() - timedelta(days=task.resolved_at.weekday())
            if rweek in index:
                index[rweek]["resolved"] = int(index[rweek]["resolved"]) + 1  # type: ignore[call-overload]
    return weeks
