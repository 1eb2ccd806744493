"""All mapped classes, imported here so Alembic and the app see one metadata."""

from survey.models.accounts import Account, Contact
from survey.models.actions import (
    AdvocacyInvite,
    AdvocateFlag,
    RecoveryTask,
    RecoveryTaskVerbatim,
    TaskEvent,
)
from survey.models.advocacy import (
    AdvocacyActivity,
    Advocate,
    ChampionMove,
    InviteTemplate,
    PraiseNotice,
    ReviewCampaign,
)
from survey.models.audit import AuditEvent
from survey.models.insights import (
    FixMessage,
    FixNote,
    InsightFact,
    InsightFactCategory,
    InsightSyncState,
    ReanalysisRun,
    Theme,
    ThemeMember,
    ThemeRun,
)
from survey.models.imports import ImportJob
from survey.models.integrations import WebhookDelivery, WebhookEndpoint
from survey.models.learning import HumanLabel, ModelVersion
from survey.models.feedback import Analysis, Category, Verbatim, VerbatimEmbedding
from survey.models.outbox import OutboxEmail
from survey.models.surveys import Response, Survey
from survey.models.users import ApiToken, User

__all__ = [
    "Account",
    "AdvocacyActivity",
    "AdvocacyInvite",
    "Advocate",
    "AdvocateFlag",
    "Analysis",
    "ApiToken",
    "AuditEvent",
    "Category",
    "ChampionMove",
    "Contact",
    "FixMessage",
    "FixNote",
    "HumanLabel",
    "ImportJob",
    "InsightFact",
    "InsightFactCategory",
    "InsightSyncState",
    "InviteTemplate",
    "ModelVersion",
    "OutboxEmail",
    "PraiseNotice",
    "ReanalysisRun",
    "RecoveryTask",
    "RecoveryTaskVerbatim",
    "Response",
    "ReviewCampaign",
    "Survey",
    "TaskEvent",
    "Theme",
    "ThemeMember",
    "ThemeRun",
    "User",
    "Verbatim",
    "VerbatimEmbedding",
    "WebhookDelivery",
    "WebhookEndpoint",
]
