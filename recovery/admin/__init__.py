"""The admin of the "who and whether" app, and the rules every StepWise admin page follows.

Two audiences (DESIGN.md §5, issue 6):

- **Staff** (`is_staff`, given the exercise and treatment-type permissions) keep the exercise
  library and the treatment types current. They see nothing of patients: every clinical model
  below answers "no permission" to anyone but a superuser, whatever permissions a staff account
  was given by mistake, so it is not even listed on their admin index.
- **Superusers** administer the clinical records. Records that services write (clearances and
  their events, treatments, plans, weeks, session logs, alerts, reminders, the audit log) are
  read-only here: a change to them must go through the service that checks and audits it
  (STYLE.md habit 2; an approved clearance is never edited in place, SECURITY-CHECKS.md 16).
  Accounts and profiles can be edited; a patient's clinician and reminder settings through the
  services that change them elsewhere.

Every add, change, delete and bulk action made in the admin also writes an `AuditEvent` (field
names only, never values or free text: SECURITY-CHECKS.md 15).

`base` holds those rules; `library`, `people` and `records` register the pages (importing them
here is what registers them when Django discovers `recovery.admin`).
"""

from recovery.admin import library, people, records  # noqa: F401  (registers the pages)
from recovery.admin.base import (
    AccessibleFilteredSelectMultiple,
    AuditedAdminMixin,
    ClinicalReadOnlyAdmin,
    ClinicalReadOnlyInline,
    KeepUsedRowsMixin,
    ReadOnlyMixin,
    SuperuserOnlyMixin,
)

__all__ = [
    "AccessibleFilteredSelectMultiple",
    "AuditedAdminMixin",
    "ClinicalReadOnlyAdmin",
    "ClinicalReadOnlyInline",
    "KeepUsedRowsMixin",
    "ReadOnlyMixin",
    "SuperuserOnlyMixin",
]
