"""CSV import: row-by-row validation with a report, all-or-nothing unless partial, CLI and web upload."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey.models import Account, Contact, ImportJob, Response, Verbatim
from tests.conftest import run_cli
from tests.factories import make_survey
from tests.test_admin import admin_client  # noqa: F401  (fixture)
from tests.test_web import _csrf
from workers.import_jobs import run_import

ACCOUNTS = "external_id,name,plan,arr,owner_email,renewal_date\nA1,Acme,Growth,50000,,2027-01-31\nA2,Globex,Enterprise,\"120,000\",,\n"


def _run(db_session: Any, kind: str, content: bytes, partial: bool = False) -> ImportJob:
    job = ImportJob(kind=kind, filename=f"{kind}.csv", content=content, partial=partial)
    db_session.add(job)
    db_session.commit()
    run_import(job.id)
    db_session.expire_all()
    return db_session.get(ImportJob, job.id)


def test_accounts_import_and_reimport_is_idempotent(app_ctx: Flask, db_session: Any) -> None:
    """Valid accounts are imported; importing the same file again changes nothing."""
    job = _run(db_session, "accounts", ACCOUNTS.encode())
    assert job.status == "done" and job.imported_rows == 2 and job.content is None
    _run(db_session, "accounts", ACCOUNTS.encode())
    assert db_session.scalar(select(func.count(Account.id))) == 2
    assert db_session.scalar(select(Account.arr).where(Account.external_id == "A2")) == 120000


def test_every_bad_row_is_reported_and_nothing_is_imported(app_ctx: Flask, db_session: Any) -> None:
    """Bad emails, unknown accounts and duplicate rows are each reported by line; the file is refused whole."""
    _run(db_session, "accounts", ACCOUNTS.encode())
    contacts = ("external_id,email,account_external_id,name,marketing_consent\n"
                "C1,ok@acme.example,A1,Ok Person,yes\n"
                "C2,not-an-email,A1,Bad Email,no\n"
                "C3,x@globex.example,A9,Unknown Account,no\n"
                "C1,dup@acme.example,A1,Duplicate,no\n"
                "C4,y@acme.example,A1,Bad Bool,maybe\n")
    job = _run(db_session, "contacts", contacts.encode())
    assert job.status == "rejected"
    by_line = {e["line"]: e["message"] for e in job.errors}
    assert "not a valid email" in by_line[3]
    assert "unknown account A9" in by_line[4]
    assert "duplicate of line 2" in by_line[5]
    assert "true or false" in by_line[6]
    assert db_session.scalar(select(func.count(Contact.id))) == 0


def test_partial_import_keeps_the_valid_rows(app_ctx: Flask, db_session: Any) -> None:
    """With partial, valid rows are imported and the rejected ones reported."""
    contacts = "external_id,email\nC1,ok@acme.example\nC2,broken\n"
    job = _run(db_session, "contacts", contacts.encode(), partial=True)
    assert job.status == "done" and job.imported_rows == 1 and len(job.errors) == 1
    assert db_session.scalar(select(Contact.email)) == "ok@acme.example"


@pytest.mark.parametrize(("content", "needle"), [
    (b"external_id,name\nA1,Caf\xe9 Latte\n", "not UTF-8"),
    (b"id,company\n1,x\n", "missing column"),
    (b"", "empty"),
    (b"external_id,name\n", "no rows"),
])
def test_unreadable_files_are_refused_with_a_reason(app_ctx: Flask, db_session: Any, content: bytes,
                                                     needle: str) -> None:
    """Broken encodings, wrong headers and empty files are refused as a whole."""
    job = _run(db_session, "accounts", content)
    assert job.status == "rejected" and needle in job.errors[0]["message"]


def test_historical_responses_are_imported_and_analysed(app_ctx: Flask, db_session: Any, run_worker: Any) -> None:
    """Scores outside the survey's range are rejected; valid history lands with its date and is analysed."""
    make_survey(db_session, key="hist-nps")
    db_session.add(Contact(email="old@acme.example", name="Old Timer"))
    db_session.commit()
    bad = "external_id,survey_key,email,score,comment,answered_at\nR1,hist-nps,old@acme.example,11,x,2025-01-01\n"
    assert "outside NPS's range 0-10" in _run(db_session, "responses", bad.encode()).errors[0]["message"]
    good = ("external_id,survey_key,email,score,comment,answered_at\n"
            "R1,hist-nps,old@acme.example,3,Reports were slow all year,2025-03-01T10:00:00Z\n"
            "R2,hist-nps,,10,,2025-04-01\n")
    job = _run(db_session, "responses", good.encode())
    assert job.status == "done" and job.imported_rows == 2
    _run(db_session, "responses", good.encode())  # idempotent by external_id
    assert db_session.scalar(select(func.count(Response.id))) == 2
    run_worker()
    db_session.expire_all()
    verbatim = db_session.scalar(select(Verbatim))
    assert verbatim.analysis_status == "done" and verbatim.created_at.year == 2025


def test_cli_import_reports_rejections_with_exit_code(app_config: dict[str, Any], db_session: Any,
                                                      tmp_path: Path) -> None:
    """`feedloop import` prints each rejected row and exits 1 when nothing was imported."""
    from tests.test_cli import _env

    bad = tmp_path / "contacts.csv"
    bad.write_text("external_id,email\nC1,nope\n")
    result = run_cli("import", "contacts", str(bad), env=_env(app_config))
    assert result.returncode == 1 and "line 2:" in result.stderr and "not a valid email" in result.stderr
    good = tmp_path / "accounts.csv"
    good.write_text(ACCOUNTS)
    result = run_cli("import", "accounts", str(good), env=_env(app_config))
    assert result.returncode == 0 and "2 rows imported" in result.stdout


def test_web_upload_shows_progress_then_report(admin_client: Any, db_session: Any, run_worker: Any) -> None:  # noqa: F811
    """The upload page queues the import; the status page polls with htmx until the report appears."""
    token = _csrf(admin_client.get("/admin/import").get_data(as_text=True))
    resp = admin_client.post("/admin/import", data={"csrf_token": token, "kind": "accounts",
                                                    "file": (io.BytesIO(ACCOUNTS.encode()), "accounts.csv")},
                             content_type="multipart/form-data")
    assert resp.status_code == 303
    status_url = resp.headers["Location"]
    waiting = admin_client.get(status_url, headers={"HX-Request": "true"})
    assert b"<html" not in waiting.data and b'hx-trigger="every 1s"' in waiting.data
    run_worker()
    done = admin_client.get(status_url, headers={"HX-Request": "true"})
    assert b"Imported 2 of 2 rows" in done.data and b"hx-trigger" not in done.data
