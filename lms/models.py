"""Every model, imported in one place so metadata is complete for Alembic."""

from lms.audit.models import AuditEvent  # noqa: F401
from lms.auth.models import ActivationToken, RememberToken, User  # noqa: F401
from lms.auth.twofactor import RecoveryCode, TwoFactor  # noqa: F401
from lms.community.models import (  # noqa: F401
    ClassAttendance,
    CommunePopulation,
    CommunityClass,
    InPersonRegistration,
    TeamMember,
)
from lms.courses.models import Course, Lesson  # noqa: F401
from lms.documents.models import Signatory  # noqa: F401
from lms.learning.models import (  # noqa: F401
    Completion,
    ExternalTraining,
    LessonProgress,
    QuizAttempt,
    Requirement,
)
from lms.mail.models import OutboxMessage, UndeliverableAddress  # noqa: F401
from lms.offline.models import OfflineDraw, OfflineSubmission  # noqa: F401
from lms.org.models import Official, PendingImport, Unit  # noqa: F401
from lms.recovery.models import EmailLink  # noqa: F401
from lms.reports.models import ApiToken  # noqa: F401
