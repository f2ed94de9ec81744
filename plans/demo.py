"""Demo data built through the same services the app uses (seed_demo and the benchmarks)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from plans import services
from plans.library import STARTER_EXERCISES
from plans.models import Exercise, Plan
from recovery.defaults import load_treatment_types
from recovery.models import ClinicianProfile, PatientProfile, Role, TreatmentType, User
from recovery.services import patient_enrol

DEMO_PASSWORD = "stepwise-demo"  # noqa: S105 (documented demo accounts, refused with DEBUG off)
LIBRARY_GROUP = "Library editors"

# Ana's six closed weeks (3 sessions a week planned, so 2 count as enough):
# minutes logged and pain after each session. The engine turns them into
# progress (+10), progress (+5), hold, reduce, progress, progress.
DEMO_WEEKS: list[list[tuple[int, int]]] = [
    [(15, 1), (15, 2), (16, 1)],  # all done, little pain → +10
    [(25, 3), (25, 2)],  # enough, some pain → +5
    [(30, 2)],  # one session → hold
    [(30, 2), (30, 7), (30, 3)],  # pain 7 → reduce
    [(25, 1), (25, 2), (26, 1)],  # → +10
    [(35, 2), (35, 1), (35, 2)],  # → +10 (reaches the 45-minute target)
]


def load_library() -> int:
    created = 0
    for name, category, stage, instructions, cautions in STARTER_EXERCISES:
        _, made = Exercise.objects.get_or_create(
            name=name,
            defaults={
                "category": category,
                "stage": stage,
                "instructions": instructions,
                "cautions": cautions,
            },
        )
        created += made
    return created


def library_group() -> Group:
    group, _ = Group.objects.get_or_create(name=LIBRARY_GROUP)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["plans", "recovery"],
            content_type__model__in=["exercise", "treatmenttype"],
        )
    )
    return group


def _user(username: str, role: str, first: str, last: str, **extra) -> tuple[User, bool]:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "role": role,
            "first_name": first,
            "last_name": last,
            "email": f"{username}@stepwise.example",
            **extra,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user, created


def _demo_patient(
    username, first, last, clinician, treatment, procedure_date, today
) -> PatientProfile:
    existing = PatientProfile.objects.filter(user__username=username).first()
    if existing:
        return existing
    patient = patient_enrol(
        clinician=clinician,
        first_name=first,
        last_name=last,
        email=f"{username}@stepwise.example",
        treatment_type=TreatmentType.objects.get(name=treatment),
        procedure_date=procedure_date,
        today=today,
    )
    user = patient.user
    user.username = username
    user.set_password(DEMO_PASSWORD)
    user.save()
    return patient


def _at(patient: PatientProfile, day: date, hour: int = 18) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=patient.tz)


def _approve(patient: PatientProfile, *, start: date, stage: int, activities, sessions: int):
    clearance = patient.clearances.get(status="pending")
    kind = clearance.treatment.treatment_type
    return services.clearance_approve(
        clearance=clearance,
        actor=patient.clinician,
        rules={
            "start_minutes": kind.default_start_minutes,
            "min_increment": kind.default_min_increment,
            "max_increment": kind.default_max_increment,
            "target_minutes": max(kind.default_target_minutes, kind.default_start_minutes),
            "sessions_per_week": sessions,
        },
        max_stage=stage,
        allowed_activities=activities,
        restrictions="Avoid lifting more than 10 lb and twisting for now.",
        start_date=start,
        today=start,
    )


@transaction.atomic
def seed(today: date | None = None) -> list[str]:
    """Create the demo clinic. Safe to run again: existing rows are left as they are."""
    # The demo patients live in New York (the profile default): their "today" decides the weeks.
    today = today or timezone.localdate(
        timezone=ZoneInfo(PatientProfile._meta.get_field("timezone").default)
    )
    notes: list[str] = []
    load_treatment_types(TreatmentType)
    made = load_library()
    notes.append(f"exercise library: {made} added")

    clinician, created = _user("clinician", Role.CLINICIAN, "Dana", "Reyes")
    if created:
        ClinicianProfile.objects.create(user=clinician, title="Physiotherapist")
    staff, _ = _user("staff", Role.STAFF, "Sam", "Lee", is_staff=True)
    staff.groups.add(library_group())
    # The admin needs a second factor; the demo staff gets a device whose codes
    # `python manage.py demo_code` prints (DEBUG only), so no phone is needed to try it.
    TOTPDevice.objects.get_or_create(
        user=staff, name="Demo authenticator", defaults={"confirmed": True}
    )

    # Ana ("patient"): six closed weeks showing progress, a hold and a reduce; now in week 7.
    ana = _demo_patient(
        "patient",
        "Ana",
        "Silva",
        clinician,
        "Epidural steroid injection",
        today - timedelta(days=60),
        today,
    )
    if not Plan.objects.filter(patient=ana).exists():
        start = today - timedelta(days=7 * len(DEMO_WEEKS))
        _approve(
            ana, start=start, stage=2, activities=["walking", "water", "recumbent_bike"], sessions=3
        )
        for index, sessions in enumerate(DEMO_WEEKS):
            for offset, (minutes, pain) in zip((0, 2, 4), sessions, strict=False):
                day = start + timedelta(days=7 * index + offset)
                services.session_log_create(
                    patient=ana,
                    day=day,
                    activity="walking" if offset != 2 else "recumbent_bike",
                    minutes=minutes,
                    pain=pain,
                    pain_lasted_hours=1 if pain >= 3 else 0,
                    exertion=11 + pain // 2,
                    now=_at(ana, day),
                )
        plan = Plan.objects.get(patient=ana)
        services.plan_close_weeks(plan=plan, today=today)
        notes.append("patient: 6 weeks of history")

    # Grace: just had a microdiscectomy; waiting for the clinician's clearance.
    _demo_patient(
        "grace",
        "Grace",
        "Okafor",
        clinician,
        "Microdiscectomy / endoscopic discectomy",
        today - timedelta(days=10),
        today,
    )

    # Hector: lumbar fusion; his plan was paused by a red flag (calf pain) yesterday.
    hector = _demo_patient(
        "hector",
        "Hector",
        "Nguyen",
        clinician,
        "Lumbar fusion",
        today - timedelta(days=45),
        today,
    )
    if not Plan.objects.filter(patient=hector).exists():
        start = today - timedelta(days=10)
        _approve(hector, start=start, stage=1, activities=["walking"], sessions=5)
        for offset in (0, 1, 3, 5, 7):
            day = start + timedelta(days=offset)
            services.session_log_create(
                patient=hector,
                day=day,
                activity="walking",
                minutes=10,
                pain=2,
                now=_at(hector, day),
            )
        yesterday = today - timedelta(days=1)
        services.session_log_create(
            patient=hector,
            day=yesterday,
            activity="walking",
            minutes=10,
            pain=4,
            red_flags=["calf_pain"],
            notes="Left calf felt tight and warm.",
            now=_at(hector, yesterday),
        )
        notes.append("hector: plan paused by a red flag")
    return notes
