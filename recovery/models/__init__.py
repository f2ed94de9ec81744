"""People and clinical status: who someone is, what treatment they had, whether they may exercise.

`recovery` never imports the `plans` app. The one exception is `plans.engine`, a pure module with
no project imports, whose bounds for a plan's rules are the single source of those numbers.

Django finds the models through this package: `base`, `people`, `treatments`, `clearance`, `audit`
and `outbox` are imported here and every name is re-exported.
"""

# In the order the models were declared (the app registry keeps it), not sorted.
# isort: off
from recovery.models.base import (
    DATE_FLOOR,
    DATE_CEILING,
    STAGE_GATE_DAYS_MAX,
    bounds,
    LIFTING_LIMIT_MIN_KG,
    LIFTING_LIMIT_MAX_KG,
    date_range_constraint,
    rules_constraints,
    RulesFields,
    AppendOnlyModel,
    AppendOnlyQuerySet,
)
from recovery.models.people import (
    Role,
    name_shown,
    Language,
    User,
    ClinicianProfile,
    timezone_choices,
    timezone_choices_grouped,
    Weekday,
    BIRTH_FLOOR,
    PHONE_DIGITS_MIN,
    PHONE_DIGITS_MAX,
    tidy_phone,
    tel_href,
    PatientProfile,
)
from recovery.models.treatments import (
    Category,
    Activity,
    ACTIVITY_MIN_STAGE,
    activities_for_stage,
    TreatmentType,
    WOUND_CATEGORIES,
    Treatment,
    earliest_clearance_date,
)
from recovery.models.clearance import (
    ClearanceStatus,
    Clearance,
    ClearanceEvent,
)
from recovery.models.audit import (
    AuditEvent,
)
from recovery.models.outbox import (
    OutboxEmailKind,
    OutboxEmail,
)
# isort: on

__all__ = [
    "ACTIVITY_MIN_STAGE",
    "BIRTH_FLOOR",
    "DATE_CEILING",
    "DATE_FLOOR",
    "LIFTING_LIMIT_MAX_KG",
    "LIFTING_LIMIT_MIN_KG",
    "PHONE_DIGITS_MAX",
    "PHONE_DIGITS_MIN",
    "STAGE_GATE_DAYS_MAX",
    "WOUND_CATEGORIES",
    "Activity",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "AuditEvent",
    "Category",
    "Clearance",
    "ClearanceEvent",
    "ClearanceStatus",
    "ClinicianProfile",
    "Language",
    "OutboxEmail",
    "OutboxEmailKind",
    "PatientProfile",
    "Role",
    "RulesFields",
    "Treatment",
    "TreatmentType",
    "User",
    "Weekday",
    "activities_for_stage",
    "bounds",
    "date_range_constraint",
    "earliest_clearance_date",
    "name_shown",
    "rules_constraints",
    "tel_href",
    "tidy_phone",
    "timezone_choices",
    "timezone_choices_grouped",
]
