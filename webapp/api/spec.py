"""The OpenAPI document, generated from the pydantic models on each route by spectree."""

from __future__ import annotations

from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from webapp.api.schemas import ValidationErrorOut

spec = SpecTree(
    "flask",
    title="Feedloop API",
    version="1",
    description=(
        "Feed Feedloop from other systems (CRM sync, support tickets, emails, reviews, notes) and read what it "
        "concluded. Authenticate with `Authorization: Bearer <token>` (`feedloop api-token create`)."
    ),
    path="api/v1/spec",  # spectree hides routes under its own path; /api/v1/openapi.json is served by us
    filename="openapi.json",
    page_templates={},  # no CDN-hosted docs UI: the JSON document only
    mode="strict",
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))],
    security={"bearer": []},
    annotations=True,
    validation_error_model=ValidationErrorOut,
)
