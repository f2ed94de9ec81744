"""The admin of the "what and how much" app: the exercise library (staff) and, for superusers
only and read-only, plans, weeks, session logs, pain follow-ups, symptom reports, alerts and
reminders. The rules shared by every
admin page (superuser-only clinical data, audit of admin edits, deactivate-not-delete) live in
`recovery.admin.base`.

`library` and `records` register the pages (importing them here is what registers them when
Django discovers `plans.admin`).
"""

from plans.admin import library, records  # noqa: F401  (registers the pages)
from plans.admin.library import (
    IMPORT_MAX_BYTES,
    IMPORT_TEMPLATE_ROWS,
    OPEN_PLAN_STATUSES,
    STAGE_CHOICES,
    UNTIL_STAGE_CHOICES,
    ContraindicationInline,
    ExerciseAdmin,
    ExerciseForm,
    LimitedImportForm,
    StageFilter,
    plan_reach,
)
from plans.admin.pictures import ExerciseImageForm, ExerciseImageInline
from plans.admin.records import (
    AlertAdmin,
    PainFollowUpAdmin,
    PlanAdmin,
    PlanWeekAdmin,
    PlanWeekInline,
    ReminderAdmin,
    SessionLogAdmin,
    SymptomReportAdmin,
)

__all__ = [
    "IMPORT_MAX_BYTES",
    "IMPORT_TEMPLATE_ROWS",
    "OPEN_PLAN_STATUSES",
    "STAGE_CHOICES",
    "UNTIL_STAGE_CHOICES",
    "AlertAdmin",
    "ContraindicationInline",
    "ExerciseAdmin",
    "ExerciseForm",
    "ExerciseImageForm",
    "ExerciseImageInline",
    "LimitedImportForm",
    "PainFollowUpAdmin",
    "PlanAdmin",
    "PlanWeekAdmin",
    "PlanWeekInline",
    "ReminderAdmin",
    "SessionLogAdmin",
    "StageFilter",
    "SymptomReportAdmin",
    "plan_reach",
]
