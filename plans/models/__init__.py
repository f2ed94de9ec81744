"""What and how much: the exercise library, plans, their weeks, session logs, alerts, reminders.

Django finds the models through this package: `library`, `plan`, `choices`, `sessions`, `alerts`,
`reminders` and `programme` are imported here and every name is re-exported.
"""

# In the order the models were declared (the app registry keeps it), not sorted.
# isort: off
from plans.models.library import (
    DOSE_LIMITS,
    dose_constraints,
    ExerciseCategory,
    Exercise,
    ContraindicationQuerySet,
    Contraindication,
)
from plans.models.plan import (
    PlanStatus,
    PauseCause,
    Plan,
    WeekReview,
    PlanWeek,
)
from plans.models.choices import (
    RedFlag,
    PainDuration,
    PAIN_DURATION_HOURS,
    PainSettled,
    PAIN_SETTLED_HOURS,
)
from plans.models.sessions import (
    SESSION_NOTES_MAX,
    CORRECTION_HOURS,
    LiveSessionLogs,
    SessionLog,
    session_summary,
    RevisionKind,
    SessionLogRevision,
    PainFollowUp,
)
from plans.models.alerts import (
    AlertTier,
    AlertKind,
    AlertOutcome,
    ALERT_NOTE_MAX,
    SymptomReport,
    Alert,
)
from plans.models.reminders import (
    ReminderStatus,
    Reminder,
)
from plans.models.programme import (
    MAX_EXERCISE_IMAGES,
    ImageFormat,
    ExerciseImage,
    ProgrammeItem,
    SessionExercise,
)
# isort: on

__all__ = [
    "ALERT_NOTE_MAX",
    "CORRECTION_HOURS",
    "DOSE_LIMITS",
    "MAX_EXERCISE_IMAGES",
    "PAIN_DURATION_HOURS",
    "PAIN_SETTLED_HOURS",
    "SESSION_NOTES_MAX",
    "Alert",
    "AlertKind",
    "AlertOutcome",
    "AlertTier",
    "Contraindication",
    "ContraindicationQuerySet",
    "Exercise",
    "ExerciseCategory",
    "ExerciseImage",
    "ImageFormat",
    "LiveSessionLogs",
    "PainDuration",
    "PainFollowUp",
    "PainSettled",
    "PauseCause",
    "Plan",
    "PlanStatus",
    "PlanWeek",
    "ProgrammeItem",
    "RedFlag",
    "Reminder",
    "ReminderStatus",
    "RevisionKind",
    "SessionExercise",
    "SessionLog",
    "SessionLogRevision",
    "SymptomReport",
    "WeekReview",
    "dose_constraints",
    "session_summary",
]
