"""Demo data built through the same services the app uses (seed_demo and the benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from plans import services
from plans.library import STARTER_CONTRAINDICATIONS, STARTER_EXERCISES
from plans.models import Contraindication, Exercise, Plan
from plans.services import patient_enrol
from recovery.defaults import load_treatment_types
from recovery.models import ClinicianProfile, PatientProfile, Role, TreatmentType, User

DEMO_PASSWORD = "stepwise-demo"  # noqa: S105 (documented demo accounts, refused with DEBUG off)
LIBRARY_GROUP = "Library editors"

# Sent at the end of `seed` (clinician=, today=) so the apps above plans add their part of the
# demo (outcomes: questionnaires answered over months); each receiver returns its DemoAccounts.
seeded = Signal()


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in and what it is there to show (seed_demo prints one line for each)."""

    username: str
    name: str
    shows: str


def demo_account(user: User, shows: str) -> DemoAccount:
    return DemoAccount(username=user.username, name=user.get_full_name(), shows=shows)


# Ana's six closed weeks (3 sessions a week planned, so 2 count as enough): minutes logged and
# pain before and after each session. The engine turns them into progress (+10), progress (+5),
# hold, reduce (a fifth, rounded up to 5 minutes), progress (+10), progress (+10).
DEMO_WEEKS: list[list[tuple[int, int, int]]] = [
    [(15, 1, 1), (15, 1, 2), (16, 0, 1)],  # all done, all comfortable → +10
    [(25, 2, 3), (25, 2, 2)],  # enough, not all done → +5
    [(30, 1, 2)],  # one session → hold
    [(30, 1, 2), (30, 2, 7), (30, 2, 3)],  # pain 7 → reduce by 10
    [(20, 1, 1), (20, 1, 2), (21, 0, 1)],  # → +10
    [(30, 1, 2), (30, 1, 1), (30, 1, 2)],  # → +10
]


def demo_log(patient: PatientProfile, day: date, **fields) -> None:
    """One demo session through the service, logged that evening on the patient's clock."""
    fields.setdefault("activity", "walking")
    fields.setdefault("pain_duration", "within_2h")
    services.session_log_create(patient=patient, day=day, now=demo_evening(patient, day), **fields)


def load_library() -> int:
    """The starter library with its contraindications; an exercise already there is left as
    staff keep it."""
    created = []
    for starter in STARTER_EXERCISES:
        exercise, made = Exercise.objects.get_or_create(
            name=starter.name,
            defaults={
                "category": starter.category,
                "stage": starter.stage,
                "instructions": starter.instructions,
                "cautions": starter.cautions,
                "default_sets": starter.sets,
                "default_reps": starter.reps,
                "default_hold_seconds": starter.hold_seconds,
                "default_times_per_day": starter.times_per_day,
            },
        )
        if made:
            created.append(exercise)
    new = {e.name: e for e in created}
    kinds = {t.name: t for t in TreatmentType.objects.all()}
    Contraindication.objects.bulk_create(
        Contraindication(exercise=new[name], treatment_type=kinds[kind], until_stage=until)
        for name, kind, until in STARTER_CONTRAINDICATIONS
        if name in new and kind in kinds
    )
    return len(created)


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


def demo_patient(
    username, first, last, clinician, treatment, procedure_date, today
) -> PatientProfile:
    existing = PatientProfile.objects.filter(user__username=username).first()
    if existing:
        return existing
    n = PatientProfile.objects.count() + 1  # made-up contact details, distinct per patient
    patient = patient_enrol(
        clinician=clinician,
        first_name=first,
        last_name=last,
        email=f"{username}@stepwise.example",
        treatment_type=TreatmentType.objects.get(name=treatment),
        procedure_date=procedure_date,
        phone=f"(555) 010-{2100 + n:04d}",
        date_of_birth=date(1948 + (n * 7) % 40, 1 + (n * 5) % 12, 1 + (n * 3) % 28),
        record_number=f"SW-{10400 + n}",
        today=today,
    )
    user = patient.user
    user.username = username
    user.set_password(DEMO_PASSWORD)
    user.save()
    return patient


def demo_evening(patient: PatientProfile, day: date, hour: int = 18) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=patient.tz)


def demo_approve(
    patient: PatientProfile,
    *,
    start: date,
    stage: int,
    activities,
    sessions: int,
    now: datetime | None = None,
):
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
        now=now,
    )


@transaction.atomic
def seed(today: date | None = None) -> list[DemoAccount]:
    """Create the demo clinic and return its accounts. Safe to run again: existing rows are left
    as they are."""
    # The demo patients live in New York (the profile default): their "today" decides the weeks.
    today = today or timezone.localdate(
        timezone=ZoneInfo(PatientProfile._meta.get_field("timezone").default)
    )
    load_treatment_types(TreatmentType)
    load_library()

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
    ana = demo_patient(
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
        demo_approve(
            ana, start=start, stage=2, activities=["walking", "water", "recumbent_bike"], sessions=3
        )
        for index, sessions in enumerate(DEMO_WEEKS):
            for offset, (minutes, before, pain) in zip((0, 2, 4), sessions, strict=False):
                day = start + timedelta(days=7 * index + offset)
                demo_log(
                    ana,
                    day,
                    activity="walking" if offset != 2 else "recumbent_bike",
                    minutes=minutes,
                    pain_before=before,
                    pain=pain,
                    pain_duration="later" if pain >= 7 else "within_2h",
                    exertion=11 + pain // 2,
                )
        plan = Plan.objects.get(patient=ana)
        services.plan_close_weeks(plan=plan, today=today)

    # Grace: just had a microdiscectomy; waiting for the clinician's clearance.
    grace = demo_patient(
        "grace",
        "Grace",
        "Okafor",
        clinician,
        "Microdiscectomy / endoscopic discectomy",
        today - timedelta(days=10),
        today,
    )

    # Hector: lumbar fusion; his plan was paused by a red flag (calf pain) yesterday.
    hector = demo_patient(
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
        demo_approve(hector, start=start, stage=1, activities=["walking"], sessions=5)
        for offset in (0, 1, 3, 5, 7):
            demo_log(hector, start + timedelta(days=offset), minutes=10, pain_before=2, pain=2)
        demo_log(
            hector,
            today - timedelta(days=1),
            minutes=10,
            pain_before=2,
            pain=4,
            red_flags=["calf_pain"],
            notes="Left calf felt tight and warm.",
        )

    week = Plan.objects.filter(patient=ana).first().week_of(today)  # 7 on the day of seeding
    return [
        demo_account(ana.user, f"week {week} after an injection: up, held, reduced, up (/me/)"),
        demo_account(clinician, "the clinician of every demo patient: triage (/clinic/)"),
        demo_account(staff, "the exercise library (/admin/, code from manage.py demo_code)"),
        demo_account(grace.user, "waiting for clearance after a microdiscectomy"),
        demo_account(hector.user, "plan paused by a red flag (calf pain) after a lumbar fusion"),
        *_seed_reviews(clinician, today),
        *(
            account
            for _receiver, accounts in seeded.send(sender=seed, clinician=clinician, today=today)
            for account in accounts or ()
        ),
    ]


def _seed_reviews(clinician: User, today: date) -> list[DemoAccount]:
    """Three patients a clinician must look at, one for each way version 2 asks for a review:
    pain in two weeks running (repeated_pain), two weeks without a session (RETURN), and severe
    pain yesterday (a same-day alert, the plan still running)."""
    # Maria: radiofrequency ablation; pain went too high in weeks 2 and 3 → week 4 reduced again.
    maria = demo_patient(
        "maria",
        "Maria",
        "Lopez",
        clinician,
        "Radiofrequency ablation",
        today - timedelta(days=40),
        today,
    )
    if not Plan.objects.filter(patient=maria).exists():
        start = today - timedelta(days=7 * 3 + 2)
        demo_approve(maria, start=start, stage=2, activities=["walking"], sessions=3)
        weeks = [
            [(15, 1, 2), (15, 1, 1), (15, 2, 2)],  # comfortable → +10
            [(25, 2, 7), (25, 3, 4)],  # pain 7 → reduced
            [(20, 2, 3), (20, 2, 6)],  # a rise of 4 → reduced again: repeated pain
        ]
        for index, sessions in enumerate(weeks):
            for offset, (minutes, before, pain) in zip((0, 2, 4), sessions, strict=False):
                demo_log(
                    maria,
                    start + timedelta(days=7 * index + offset),
                    minutes=minutes,
                    pain_before=before,
                    pain=pain,
                )
        services.plan_close_weeks(plan=Plan.objects.get(patient=maria), today=today)

    # Omar: laminectomy; two weeks logged, then two weeks with none → restarts lower (RETURN).
    omar = demo_patient(
        "omar", "Omar", "Haddad", clinician, "Laminectomy", today - timedelta(days=60), today
    )
    if not Plan.objects.filter(patient=omar).exists():
        start = today - timedelta(days=7 * 4 + 1)
        demo_approve(omar, start=start, stage=1, activities=["walking"], sessions=3)
        for index in range(2):
            for offset in (0, 2, 4):
                minutes = 10 + 10 * index
                day = start + timedelta(days=7 * index + offset)
                demo_log(omar, day, minutes=minutes, pain_before=1, pain=1)
        services.plan_close_weeks(plan=Plan.objects.get(patient=omar), today=today)

    # Lucy: conservative care; severe pain (9/10) after yesterday's walk → same-day alert.
    lucy = demo_patient(
        "lucy",
        "Lucy",
        "Brown",
        clinician,
        "Physical therapy / conservative care",
        today - timedelta(days=20),
        today,
    )
    if not Plan.objects.filter(patient=lucy).exists():
        start = today - timedelta(days=5)
        demo_approve(lucy, start=start, stage=2, activities=["walking"], sessions=3)
        demo_log(lucy, start, minutes=15, pain_before=2, pain=3)
        demo_log(
            lucy,
            today - timedelta(days=1),
            minutes=15,
            pain_before=3,
            pain=9,
            pain_duration="not_settled",
            sharp_pain=True,
            notes="Sharp pain in my lower back on the way home.",
        )
    return [
        demo_account(maria.user, "reduced two weeks running for pain (repeated pain)"),
        demo_account(omar.user, "restarted lower after two weeks without a session"),
        demo_account(lucy.user, "a same-day alert for severe pain after a walk"),
    ]
