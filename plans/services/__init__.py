"""Writes on the plan side. Views, admin, tasks and commands all call these; nothing else writes.

Each function is atomic and refuses an illegal change with one `DomainError`. Prescriptions come
only from `plans.engine`; these modules turn its answers into rows. One module per concern:
`clearance` (enrolment, declining, approving, which starts a plan, revoking), `clearance_terms`
(override reasons, stage gates, the wound, precautions), `weeks` (closing weeks), `sessions`
(logging), `corrections` (the patient corrects or deletes a session), `alerts`, `reports` (pain
follow-ups, symptom reports), `control` (pause, resume, rules, stage), `pictures` (an exercise's
pictures and their files), `programme` (the clinician tailors the home programme) and `common`
(the patient's day, the rules, the locks, a plan's state). This package is their public face:
callers import from `plans.services`.

Lock order (the one place it is written down; `recovery.services` follows it too). A service that
locks rows takes them in this order, and within one kind by id ascending:

    1. clearance  (Clearance)
    2. plan       (Plan: the patient's open plan, or the plans of the clearance locked in 1)
    3. session    (SessionLog)
    4. alert      (Alert)

and follows three rules:

- It locks only the row it names: `select_for_update(of=("self",), no_key=True)` (`_locked`), so
  a `select_related` join locks nothing more. No plan-side service locks the patient profile: it
  reads it and takes turns on the patient's plan instead (the people side locks a profile alone,
  to reassign its clinician or turn reminders off, and takes no other lock with it).
- The lock is FOR NO KEY UPDATE, the lock an UPDATE of the row takes anyway: it makes callers of
  one row take turns, and never waits for (nor makes wait) the FOR KEY SHARE lock PostgreSQL
  takes on a row that a new row points at (an alert's patient, a session's plan).
- It takes every lock before its first write: a write holds the rows it points at FOR KEY SHARE
  until COMMIT, and a lock taken after it could close a cycle with a transaction that waits on
  them.

Going back in the order is a deadlock waiting to happen: to lock a clearance after its plan
(`plan_resume`), read the clearance's id unlocked first (a plan's clearance never changes).
tests/test_lock_order.py runs each pair of multi-row services at once on PostgreSQL.
"""

from plans.services.alerts import (
    alert_acknowledge,
)
from plans.services.clearance import (
    clearance_approve,
    clearance_decline,
    clearance_record_event,
    clearance_request,
    clearance_revoke,
    patient_enrol,
)
from plans.services.clearance_terms import (
    OVERRIDE_MIN_LENGTH,
    PRECAUTION_FIELDS,
    PRECAUTION_YEARS_MAX,
    REASON_MIN_LENGTH,
    WATER_NEEDS_WOUND,
    check_precautions,
    check_stage_gate,
    check_wound_date,
    check_wound_healed,
    clearance_set_precautions,
    clearance_set_wound_healed,
    require_reason,
)
from plans.services.common import (
    PLAN_START_DAYS_AHEAD,
    STAGE_4_SIGN_OFF,
    check_plan_start,
    patient_today,
)
from plans.services.control import (
    plan_pause,
    plan_resume,
    plan_set_stage,
    plan_update_rules,
    resume_ceiling,
)
from plans.services.corrections import (
    CORRECTION_ALERTED,
    CORRECTION_CLOSED,
    session_correct,
    session_delete,
)
from plans.services.pictures import (
    exercise_image_add,
    exercise_image_change,
    exercise_image_remove,
    exercise_pictures_delete_files,
    pictures_sweep,
)
from plans.services.programme import (
    NO_OPEN_PLAN,
    ItemDose,
    programme_field,
    programme_reset,
    programme_set,
)
from plans.services.reports import (
    FollowedUp,
    session_pain_follow_up,
    symptom_report_create,
)
from plans.services.sessions import (
    PLAN_PAUSED,
    REPEAT_MINUTES,
    LoggedSession,
    session_log_create,
)
from plans.services.weeks import (
    closed_week_count,
    patient_plans_closed,
    plan_close_weeks,
    plan_close_weeks_shown,
    week_cause,
    weeks_due,
)
from plans.services.weeks_batch import BatchClose, plans_close_weeks

__all__ = [
    "CORRECTION_ALERTED",
    "CORRECTION_CLOSED",
    "NO_OPEN_PLAN",
    "OVERRIDE_MIN_LENGTH",
    "PLAN_PAUSED",
    "PLAN_START_DAYS_AHEAD",
    "PRECAUTION_FIELDS",
    "PRECAUTION_YEARS_MAX",
    "REASON_MIN_LENGTH",
    "REPEAT_MINUTES",
    "STAGE_4_SIGN_OFF",
    "WATER_NEEDS_WOUND",
    "BatchClose",
    "FollowedUp",
    "ItemDose",
    "LoggedSession",
    "alert_acknowledge",
    "check_plan_start",
    "check_precautions",
    "check_stage_gate",
    "check_wound_date",
    "check_wound_healed",
    "clearance_approve",
    "clearance_decline",
    "clearance_record_event",
    "clearance_request",
    "clearance_revoke",
    "clearance_set_precautions",
    "clearance_set_wound_healed",
    "closed_week_count",
    "exercise_image_add",
    "exercise_image_change",
    "exercise_image_remove",
    "exercise_pictures_delete_files",
    "patient_enrol",
    "patient_plans_closed",
    "patient_today",
    "pictures_sweep",
    "plan_close_weeks",
    "plan_close_weeks_shown",
    "plan_pause",
    "plan_resume",
    "plan_set_stage",
    "plan_update_rules",
    "plans_close_weeks",
    "programme_field",
    "programme_reset",
    "programme_set",
    "require_reason",
    "resume_ceiling",
    "session_correct",
    "session_delete",
    "session_log_create",
    "session_pain_follow_up",
    "symptom_report_create",
    "week_cause",
    "weeks_due",
]
