"""All mapped classes, imported here so Alembic and the app see one metadata."""

from survey.models.accounts import Account, Contact
from survey.models.actions import (
    AdvocacyInvite,
    AdvocateFlag,
    RecoveryTask,
    RecoveryTaskVerbatim,
    TaskEvent,
)
from survey.models.audit import AuditEvent
from survey.models.learning import HumanLabel, ModelVersion
from survey.models.feedback import Analysis, Category, Verbatim, VerbatimEmbedding
from survey.models.outbox import OutboxEmail
from survey.models.surveys import Response, Survey
from survey.models.users import ApiToken, User

__all__ = [
    "Account",
    "AdvocacyInvite",
    "AdvocateFlag",
    "Analysis",
    "ApiToken",
    "AuditEvent",
    "Category",
    "Contact",
    "HumanLabel",
    "ModelVersion",
    "OutboxEmail",
    "RecoveryTask",
    "RecoveryTaskVerbatim",
    "Response",
    "Survey",
    "TaskEvent",
    "User",
    "Verbatim",
    "VerbatimEmbedding",
]
