"""Why a plan was paused, stored as data (issue 23 left it as English text).

`pause_reason` held an English sentence the services wrote ("Warning sign reported on
3 December 2026.", the engine's STOP reason, "Clearance withdrawn by your care team: …") or the
clinician's own words. Now the cause is a code with what its sentence needs (the day, the STOP
week) and the sentence is built when shown, in the reader's language; `pause_reason` keeps only
what a clinician typed. Existing rows are converted:

- the warning-sign sentence becomes WARNING_SIGN and its date;
- a reason equal to one of the plan's weeks' reasons becomes WEEK_STOP and that week (the STOP
  week when there is one, else the latest);
- "Clearance withdrawn by your care team: <reason>" becomes CLEARANCE_WITHDRAWN and <reason>;
- any other reason is the clinician's (CLINICIAN), kept as written.

Reversing writes the old English text back from the cause.
"""

import re
from datetime import date

import django.db.models.deletion
from django.db import migrations, models

# Frozen here (not imported): what the services wrote before this migration, in English.
MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
WARNING_SIGN = re.compile(r"^Warning sign reported on (\d{1,2}) ([A-Z][a-z]+) (\d{4})\.$")
WITHDRAWN = "Clearance withdrawn by your care team: "


def _warning_sign_day(reason):
    found = WARNING_SIGN.match(reason)
    if not found or found.group(2) not in MONTHS:
        return None
    day, month, year = int(found.group(1)), MONTHS.index(found.group(2)) + 1, int(found.group(3))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def to_causes(apps, schema_editor):
    Plan = apps.get_model("plans", "Plan")
    PlanWeek = apps.get_model("plans", "PlanWeek")
    for plan in Plan.objects.exclude(pause_reason="").order_by("pk").iterator():
        reason = plan.pause_reason
        day = _warning_sign_day(reason)
        week = (
            PlanWeek.objects.filter(plan=plan, reason=reason)
            .order_by(models.Case(models.When(decision="stop", then=0), default=1), "-week")
            .first()
        )
        plan.pause_day = plan.pause_week = None
        if day is not None:
            plan.pause_cause, plan.pause_day, plan.pause_reason = "warning_sign", day, ""
        elif week is not None:
            plan.pause_cause, plan.pause_week, plan.pause_reason = "week_stop", week, ""
        elif reason.startswith(WITHDRAWN) and reason[len(WITHDRAWN) :].strip():
            plan.pause_cause, plan.pause_reason = "clearance_withdrawn", reason[len(WITHDRAWN) :]
        else:
            plan.pause_cause = "clinician"
        plan.save(update_fields=["pause_cause", "pause_day", "pause_week", "pause_reason"])


def to_text(apps, schema_editor):
    Plan = apps.get_model("plans", "Plan")
    plans = Plan.objects.exclude(pause_cause="").select_related("pause_week").order_by("pk")
    for plan in plans.iterator():
        if plan.pause_cause == "warning_sign":
            day = plan.pause_day
            text = f"Warning sign reported on {day.day} {MONTHS[day.month - 1]} {day.year}."
        elif plan.pause_cause == "week_stop":
            text = plan.pause_week.reason
        elif plan.pause_cause == "clearance_withdrawn":
            text = WITHDRAWN + plan.pause_reason
        else:
            text = plan.pause_reason
        plan.pause_reason, plan.pause_cause, plan.pause_day, plan.pause_week = text, "", None, None
        plan.save(update_fields=["pause_cause", "pause_day", "pause_week", "pause_reason"])


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0017_starter_doses"),
        ("recovery", "0013_account_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="pause_cause",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "None"),
                    ("warning_sign", "Warning sign"),
                    ("week_stop", "Week stop"),
                    ("clearance_withdrawn", "Clearance withdrawn"),
                    ("clinician", "Clinician"),
                ],
                default="",
                max_length=24,
            ),
        ),
        migrations.AddField(
            model_name="plan",
            name="pause_day",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="plan",
            name="pause_week",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="+",
                to="plans.planweek",
            ),
        ),
        migrations.RunPython(to_causes, to_text, elidable=False),
        migrations.AddConstraint(
            model_name="plan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "pause_cause__in",
                        ["", "warning_sign", "week_stop", "clearance_withdrawn", "clinician"],
                    )
                ),
                name="plan_pause_cause_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="plan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("pause_cause", "warning_sign"), ("pause_day__isnull", False)),
                    models.Q(
                        models.Q(("pause_cause", "warning_sign"), _negated=True),
                        ("pause_day__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="plan_warning_sign_pause_has_day",
            ),
        ),
        migrations.AddConstraint(
            model_name="plan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("pause_cause", "week_stop"), ("pause_week__isnull", False)),
                    models.Q(
                        models.Q(("pause_cause", "week_stop"), _negated=True),
                        ("pause_week__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="plan_week_stop_has_week",
            ),
        ),
        migrations.AddConstraint(
            model_name="plan",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("pause_cause__in", ["clearance_withdrawn", "clinician"]),
                        models.Q(("pause_reason", ""), _negated=True),
                    ),
                    models.Q(
                        models.Q(
                            ("pause_cause__in", ["clearance_withdrawn", "clinician"]), _negated=True
                        ),
                        ("pause_reason", ""),
                    ),
                    _connector="OR",
                ),
                name="plan_pause_reason_typed_only",
            ),
        ),
    ]
