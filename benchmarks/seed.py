"""Seed the benchmark database at two sizes.

small: 100 patients, 12 closed weeks each, all of them on the measured clinician's list.
large: 20,000 patients with a year (52 closed weeks) of sessions each, 500 patients per clinician
       (3.6 million session rows, 1 million prescribed weeks; about 50 s to seed on 2 cores).

Two paths, and the first checks the second:

1. Through the project's own code: `plans.demo.seed` (the demo clinic) and, for a few of the
   measured clinician's patients, `patient_enrol` → `clearance_approve` → `session_log_create`
   for every session → `plan_close_weeks`, exactly as the app does it.
2. In bulk for volume. A hundred session *patterns* (steady, bumpy, drifting, eased back, red flag,
   pending clearance; over four treatment types) are generated in Python and run through
   `plans.engine` week by week, so every prescribed week is what the engine decides from the
   sessions before it. The patterns go to temporary tables with PostgreSQL COPY; users, profiles,
   treatments, clearances, plans, weeks and sessions are then written by set-based
   `INSERT ... SELECT` over `generate_series` (one statement per table, no Python loop per row).

The service-seeded patients follow bulk patterns too, and the seed fails if the weeks the services
produced differ from the pattern's: the bulk rows are what the app itself would have written.

The sizes and the patterns are in `benchmarks.seed_patterns`, the bulk path in
`benchmarks.seed_bulk`; this module runs both and says whom the harness measures.
"""

from __future__ import annotations

import time
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock

from django.db import connection, transaction
from django.utils import timezone

from benchmarks.seed_bulk import load_patterns, seed_bulk
from benchmarks.seed_patterns import (
    ACTIVE_ARCHETYPES,
    MEASURED_CLINICIAN,
    SERVICE_PATIENTS,
    SLOTS,
    TIMEZONE,
    Pattern,
    Size,
    build_patterns,
)
from plans import demo
from plans import services as plan_services
from plans.models import Alert, Plan, PlanStatus, PlanWeek, SessionLog
from recovery.models import ClinicianProfile, PatientProfile, Role, TreatmentType, User

# --- what the seed hands to the harness --------------------------------------------------------


@dataclass
class Seeded:
    size: Size
    today: date
    clinician_id: int  # the measured clinician (user id)
    dashboard_users: list[int] = field(default_factory=list)  # patients for /me/
    logging_users: list[int] = field(default_factory=list)  # patients for the log POST
    detail_patients: list[int] = field(default_factory=list)  # profile ids for the patient page
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def local_today() -> date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(TIMEZONE)).date()


def _start_for(g: int, closed_weeks: int, today: date) -> date:
    """Start date of patient g's plan: `closed_weeks` closed weeks, g % 7 days into the current."""
    return today - timedelta(days=7 * closed_weeks + g % 7)


# --- path 1: through the services ----------------------------------------------------------------


def _clinicians(count: int) -> list[User]:
    clinicians = []
    for n in range(1, count + 1):
        user = User(
            username=f"bench-dr-{n}",
            role=Role.CLINICIAN,
            first_name="Dr",
            last_name=f"Bench {n}",
            email=f"bench-dr-{n}@bench.stepwise.example",
        )
        user.set_unusable_password()
        clinicians.append(user)
    User.objects.bulk_create(clinicians)
    clinicians = list(User.objects.filter(username__startswith="bench-dr-").order_by("id"))
    ClinicianProfile.objects.bulk_create(
        ClinicianProfile(user=user, title="Physiotherapist") for user in clinicians
    )
    return clinicians


def _at(day: date) -> datetime:
    return datetime.combine(day, clock(18), tzinfo=zoneinfo.ZoneInfo(TIMEZONE))


def seed_through_services(
    pattern: Pattern, *, g: int, clinician: User, size: Size, today: date
) -> PatientProfile:
    """Patient g, enrolled, cleared and logged exactly as the app does it."""
    start = _start_for(g, size.closed_weeks, today)
    kind = TreatmentType.objects.get(name=pattern.treatment)
    patient = plan_services.patient_enrol(
        clinician=clinician,
        first_name="Service",
        last_name=f"Patient {g}",
        email=f"bench-p{g}@bench.stepwise.example",
        treatment_type=kind,
        procedure_date=start - timedelta(days=30),
        timezone_name=TIMEZONE,
        today=start,
    )
    # The username the load generator and the bulk rows share (enrolment derives it from e-mail).
    User.objects.filter(pk=patient.user_id).update(username=f"bench-p{g}")
    plan_services.clearance_approve(
        clearance=patient.clearances.get(),
        actor=clinician,
        rules=pattern.rules,
        max_stage=pattern.stage,
        allowed_activities=pattern.activities,
        start_date=start,
        today=start,
    )
    for session in pattern.sessions:
        day = start + timedelta(days=7 * (session.week - 1) + session.day)
        if day > today:
            continue
        plan_services.session_log_create(
            patient=patient,
            day=day,
            activity=session.activity,
            minutes=session.minutes,
            pain_before=session.pain_before,
            pain=session.pain,
            pain_duration=session.duration,
            sharp_pain=session.sharp,
            red_flags=session.flags,
            exertion=session.exertion,
            now=_at(day),
        )
    plan = Plan.objects.get(patient=patient)
    plan_services.plan_close_weeks(plan=plan, today=today)
    made = list(PlanWeek.objects.filter(plan=plan).values_list("week", "minutes", "decision"))
    expected = [(w.week, w.minutes, w.decision.value) for w in pattern.weeks]
    if made != expected:
        raise AssertionError(
            f"services and engine disagree for pattern {pattern.slot}: {made[:5]}... "
            f"vs {expected[:5]}..."
        )
    return patient


def _service_patients(patterns: list[Pattern]) -> list[int]:
    """The g of the first few ordinary patients: seeded through the services."""
    ordinary = [p.slot + 1 for p in patterns if p.archetype in ACTIVE_ARCHETYPES]
    return ordinary[:SERVICE_PATIENTS]  # patient g follows pattern g - 1


# --- the whole seed ------------------------------------------------------------------------------


def seed(size: Size, *, log=print) -> Seeded:
    """Seed an empty, migrated PostgreSQL database. Returns who the harness should measure."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The benchmark seed needs PostgreSQL (COPY, generate_series).")
    timings: dict[str, float] = {}
    today = local_today()

    started = time.perf_counter()
    patterns = build_patterns(size.closed_weeks)
    timings["patterns (engine)"] = time.perf_counter() - started

    started = time.perf_counter()
    demo.seed(today)
    clinicians = _clinicians(-(-size.patients // size.panel))
    measured = clinicians[0]
    service_g = _service_patients(patterns)
    detail = []
    with transaction.atomic():
        for g in service_g:
            patient = seed_through_services(
                patterns[g - 1], g=g, clinician=measured, size=size, today=today
            )
            detail.append(patient.pk)
    timings["services (demo clinic + 4 patients)"] = time.perf_counter() - started
    log(f"  seeded through the services: demo clinic and patients {service_g}")

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Bulk loading skips triggers for this transaction only (the page revisions of plans
        # migration 0003 would queue one deferred bump per row, millions of them); nothing is
        # cached yet, and the rows are generated consistent (foreign keys included). Needs a
        # superuser, as the harness connects as.
        cursor.execute("SET LOCAL session_replication_role = replica")
        load_patterns(cursor, patterns)
        seed_bulk(cursor, size=size, clinicians=clinicians, skip=set(service_g), today=today)
    timings["bulk (COPY + INSERT ... SELECT)"] = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        # Write the bulk load's pages out now: left to the checkpointer, the write-back (and
        # the full-page images the first write of each page after it logs) fell in the first
        # measured minutes, on whichever page was measured then. Needs a superuser, as above.
        cursor.execute("CHECKPOINT")
    timings["VACUUM ANALYZE, CHECKPOINT"] = time.perf_counter() - started

    return _choose(size, today, measured, patterns, detail, timings)


def _choose(
    size: Size,
    today: date,
    measured: User,
    patterns: list[Pattern],
    detail: list[int],
    timings: dict[str, float],
    per_page: int = 32,
    loggers: int = 2000,
) -> Seeded:
    """Who the load generator signs in as: patients with an ordinary active year of history.

    /me/ and the log POST use disjoint patients of other clinicians (so the POSTs change neither
    the dashboards nor the measured clinician's list); the patient page uses the measured
    clinician's own patients. Logging is rate-limited to 30 sessions per patient per 10 minutes,
    so the POSTs are spread over up to 2,000 patients, a few sessions each, as in a real clinic.
    At the small size (one clinician, 75 ordinary patients) the pages share the same patients.
    """
    ordinary = {p.slot for p in patterns if p.archetype in ACTIVE_ARCHETYPES}
    users = dict(User.objects.filter(username__startswith="bench-p").values_list("username", "id"))
    profiles = dict(
        PatientProfile.objects.filter(user__username__startswith="bench-p").values_list(
            "user__username", "id"
        )
    )
    others = [g for g in range(size.panel + 1, size.patients + 1) if (g - 1) % SLOTS in ordinary]
    own = [g for g in range(1, size.panel + 1) if (g - 1) % SLOTS in ordinary]
    if others:
        dashboard, logging = others[:per_page], others[per_page:][:loggers]
    else:
        dashboard, logging = own[:per_page], own
    seeded = Seeded(size=size, today=today, clinician_id=measured.pk)
    seeded.dashboard_users = [users[f"bench-p{g}"] for g in dashboard]
    seeded.logging_users = [users[f"bench-p{g}"] for g in logging]
    seeded.detail_patients = (
        detail
        + [profiles[f"bench-p{g}"] for g in own if profiles[f"bench-p{g}"] not in detail][
            : per_page - len(detail)
        ]
    )
    seeded.counts = {
        "patients": PatientProfile.objects.count(),
        "clinicians": User.objects.filter(role=Role.CLINICIAN).count(),
        "measured clinician's patients": PatientProfile.objects.filter(clinician=measured).count(),
        "plans": Plan.objects.count(),
        "active plans": Plan.objects.filter(status=PlanStatus.ACTIVE).count(),
        "prescribed weeks": PlanWeek.objects.count(),
        "session logs": SessionLog.objects.count(),
        "open alerts": Alert.objects.filter(acknowledged_at__isnull=True).count(),
    }
    seeded.timings = timings
    return seeded


def reuse(size: Size) -> Seeded:
    """Who to measure in a database seeded by an earlier run of the same size."""
    patterns = build_patterns(size.closed_weeks)
    measured = User.objects.get(username=MEASURED_CLINICIAN)
    if PatientProfile.objects.filter(user__username__startswith="bench-p").count() != size.patients:
        raise RuntimeError(f"The database was not seeded at size {size.name}; run without --reuse.")
    service = PatientProfile.objects.filter(
        user__username__in=[f"bench-p{g}" for g in _service_patients(patterns)]
    ).order_by("pk")
    return _choose(size, local_today(), measured, patterns, [p.pk for p in service], {})
