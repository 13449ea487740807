"""The domain model. Import models from here: ``from console.models import Order``."""

from console.models.api import ApiRateWindow, ApiToken
from console.models.attachments import ComplaintAttachment
from console.models.audit import AuditEntry, AuditLogIsAppendOnly
from console.models.base import utcnow
from console.models.calls import (
    CallAttempt,
    CallOutcome,
    CallTask,
    OperatorPause,
    PauseReason,
    Response,
    ResponseAnswer,
    TaskStatus,
)
from console.models.catalog import (
    Client,
    ClientHoliday,
    Technician,
    TechnicianRole,
    TechnicianStatus,
    WorkType,
)
from console.models.complaints import (
    ActionKind,
    Complaint,
    ComplaintAction,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintKind,
    ComplaintSource,
    ComplaintStatus,
    Validity,
)
from console.models.customer_emails import CannedReply, CustomerEmail, CustomerEmailTemplate
from console.models.customers import Customer, CustomerPhone
from console.models.imports import (
    ImportFile,
    ImportMapping,
    ImportRejection,
    ImportRun,
    ImportStatus,
)
from console.models.login_failures import LoginFailure
from console.models.notifications import (
    DeliveryChannel,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationKind,
)
from console.models.orders import Order, RepeatRepairSource, RepeatRepairState
from console.models.reports import ReportHour, ReportStaleHour
from console.models.saved_views import ComplaintViewer, SavedInboxView  # noqa: F401
from console.models.scripts import (
    AnswerOption,
    CallScript,
    PublishedVersionChanged,
    Question,
    QuestionKind,
    ScriptStatus,
    ScriptVersion,
)
from console.models.telephony import CallEvent
from console.models.users import PasswordReset, Role, User, UserSession

__all__ = [
    "ActionKind",
    "AnswerOption",
    "ApiRateWindow",
    "ApiToken",
    "AuditEntry",
    "AuditLogIsAppendOnly",
    "CallAttempt",
    "CallEvent",
    "CallOutcome",
    "CallScript",
    "CallTask",
    "CannedReply",
    "Client",
    "ClientHoliday",
    "Complaint",
    "ComplaintAction",
    "ComplaintAttachment",
    "ComplaintCategory",
    "ComplaintEvent",
    "ComplaintKind",
    "ComplaintSource",
    "ComplaintStatus",
    "Customer",
    "CustomerEmail",
    "CustomerEmailTemplate",
    "CustomerPhone",
    "DeliveryChannel",
    "DeliveryStatus",
    "ImportFile",
    "ImportMapping",
    "ImportRejection",
    "ImportRun",
    "ImportStatus",
    "LoginFailure",
    "Notification",
    "NotificationDelivery",
    "NotificationKind",
    "OperatorPause",
    "Order",
    "PasswordReset",
    "PauseReason",
    "PublishedVersionChanged",
    "Question",
    "QuestionKind",
    "RepeatRepairSource",
    "RepeatRepairState",
    "ReportHour",
    "ReportStaleHour",
    "Response",
    "ResponseAnswer",
    "Role",
    "ScriptStatus",
    "ScriptVersion",
    "TaskStatus",
    "Technician",
    "TechnicianRole",
    "TechnicianStatus",
    "User",
    "UserSession",
    "Validity",
    "WorkType",
    "utcnow",
]
