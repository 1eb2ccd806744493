"""Writes from other systems: CRM accounts and contacts, verbatims from other channels."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from spectree import Response

from survey.services.crm import AccountData, ContactData, CrmError, upsert_accounts, upsert_contacts
from survey.services.ingest import IngestError, VerbatimData, ingest_verbatims
from webapp.api import bp, token_required
from webapp.api.schemas import AccountsIn, ContactsIn, ErrorOut, IngestOut, UpsertOut, VerbatimsIn
from webapp.api.spec import spec
from webapp.extensions import db
from workers.enqueue import kick_analysis

# 409: the body is valid but refers to something that does not exist (an unknown account, owner or contact).
ERRORS = {"HTTP_401": ErrorOut, "HTTP_403": ErrorOut, "HTTP_409": ErrorOut}


@bp.post("/accounts")
@token_required()
@spec.validate(json=AccountsIn, resp=Response(HTTP_200=UpsertOut, **ERRORS), tags=["crm"])
def put_accounts() -> Any:
    """Upsert accounts by external id (CRM sync); sending the same batch again changes nothing."""
    body: AccountsIn = request.context.json  # type: ignore[attr-defined]
    try:
        report = upsert_accounts(db.session, [AccountData(**a.model_dump()) for a in body.accounts])
    except CrmError as exc:
        db.session.rollback()
        return jsonify(error=str(exc), status=409), 409
    db.session.commit()
    return jsonify(created=report.created, updated=report.updated, unchanged=report.unchanged, moved=[])


@bp.post("/contacts")
@token_required()
@spec.validate(json=ContactsIn, resp=Response(HTTP_200=UpsertOut, **ERRORS), tags=["crm"])
def put_contacts() -> Any:
    """Upsert contacts by external id (or email); `moved` lists contacts whose company changed."""
    body: ContactsIn = request.context.json  # type: ignore[attr-defined]
    try:
        report = upsert_contacts(db.session, [ContactData(**c.model_dump()) for c in body.contacts])
    except CrmError as exc:
        db.session.rollback()
        return jsonify(error=str(exc), status=409), 409
    db.session.commit()
    return jsonify(created=report.created, updated=report.updated, unchanged=report.unchanged, moved=report.moved)


@bp.post("/verbatims")
@token_required("csm")
@spec.validate(json=VerbatimsIn, resp=Response(HTTP_200=IngestOut, **ERRORS), tags=["ingest"])
def post_verbatims() -> Any:
    """Ingest support tickets, emails, reviews and notes in bulk; idempotent by (source, external_id)."""
    body: VerbatimsIn = request.context.json  # type: ignore[attr-defined]
    try:
        report = ingest_verbatims(db.session, [VerbatimData(**v.model_dump()) for v in body.verbatims],
                                  max_chars=20000)
    except IngestError as exc:
        db.session.rollback()
        return jsonify(error=str(exc), status=409), 409
    db.session.commit()
    for vid in report.created:
        kick_analysis(vid)
    return jsonify(created=report.created, existing=report.existing)
