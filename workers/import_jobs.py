"""Running a CSV import: validate everything, then apply in committed chunks, reporting progress in the row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from survey.database import utcnow

CHUNK = 500


def run_import(import_id: int, progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """All-or-nothing per file unless `partial`: any rejected row and nothing is written. Idempotent on retry."""
    from survey.models import ImportJob
    from survey.services.importer import ImportFileError, apply_chunk, plan_import
    from webapp.extensions import db
    from workers.enqueue import enqueue_analysis_many

    session = db.session
    job = session.get(ImportJob, import_id)
    if job is None:
        return {"import_id": import_id, "skipped": "deleted"}
    if job.status in ("done", "rejected"):
        return {"import_id": import_id, "skipped": job.status}
    job.status, job.processed_rows, job.errors = "validating", 0, []
    session.commit()

    def report(stage: str, done: int) -> None:
        job.processed_rows = done
        session.commit()
        if progress:
            progress(stage, done, job.total_rows)

    try:
        plan = plan_import(session, job.kind, job.content or b"", lambda n: report("validating", n))
    except ImportFileError as exc:
        return _finish(session, job, "rejected", [{"line": 0, "message": str(exc)}], 0)
    job.total_rows = plan.total
    errors = [{"line": e.line, "message": e.message} for e in plan.errors]
    if errors and not job.partial:
        return _finish(session, job, "rejected", errors, 0)
    job.status = "importing"
    report("importing", 0)
    rows = [typed for _line, typed in plan.rows]
    to_analyse: list[int] = []
    for start in range(0, len(rows), CHUNK):
        to_analyse += apply_chunk(session, job.kind, rows[start:start + CHUNK])
        job.imported_rows = min(start + CHUNK, len(rows))
        report("importing", job.imported_rows)
    result = _finish(session, job, "done", errors, len(rows))
    enqueue_analysis_many(to_analyse)  # historical verbatims are analysed in the background
    result["verbatims_queued"] = len(to_analyse)
    return result


def _finish(session: Any, job: Any, status: str, errors: list[dict[str, Any]], imported: int) -> dict[str, Any]:
    job.status, job.errors, job.imported_rows = status, errors, imported
    job.processed_rows = job.total_rows
    job.finished_at = utcnow()
    job.content = None  # the upload held personal data: keep only the report
    from survey.services.audit import record

    record(session, "import_finished", actor_label=f"user:{job.created_by_id}" if job.created_by_id else "cli",
           target_type="import", target_id=job.id,
           details={"kind": job.kind, "status": status, "imported": imported, "rejected": len(errors)})
    session.commit()
    return {"import_id": job.id, "status": status, "imported": imported, "rejected": len(errors)}
