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
"""

from __future__ import annotations

import io
import json
import random
import time
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock

from django.db import connection, transaction
from django.utils import timezone

from plans import demo, engine
from plans import services as plan_services
from plans.models import Alert, Plan, PlanStatus, PlanWeek, SessionLog
from recovery.models import ClinicianProfile, PatientProfile, Role, TreatmentType, User

TIMEZONE = "America/New_York"  # every bench patient's clock (the default of a new patient)
SLOTS = 100  # patterns; patient g follows pattern (g - 1) % SLOTS
SERVICE_PATIENTS = 4  # of the measured clinician's list, seeded through the services
MEASURED_CLINICIAN = "bench-dr-1"


@dataclass(frozen=True)
class Size:
    name: str
    patients: int
    closed_weeks: int
    panel: int  # patients per clinician; the first clinician is the one measured


SIZES = {
    "small": Size("small", patients=100, closed_weeks=12, panel=100),
    "large": Size("large", patients=20_000, closed_weeks=52, panel=500),
}


# --- patterns ------------------------------------------------------------------------------------

# (treatment type, start, min step, max step, target, sessions/week, stage, activities)
TREATMENTS = [
    (
        "Epidural steroid injection",
        15,
        5,
        10,
        45,
        4,
        2,
        ("walking", "water", "recumbent_bike"),
    ),
    (
        "Physical therapy / conservative care",
        15,
        5,
        10,
        40,
        4,
        2,
        ("walking", "recumbent_bike", "stationary_bike"),
    ),
    ("Microdiscectomy / endoscopic discectomy", 10, 5, 10, 40, 4, 1, ("walking",)),
    ("Lumbar fusion", 10, 5, 5, 30, 5, 1, ("walking",)),
]

# How each kind of week goes: (full, mostly, short, painful) weights.
ARCHETYPE_WEEKS = {
    "steady": (60, 25, 10, 5),
    "bumpy": (30, 30, 20, 20),
    "drifting": (60, 25, 10, 5),
    "eased_back": (60, 25, 10, 5),
    "red_flag": (60, 25, 10, 5),
}
# Share of the 100 slots: most patients are fine; triage has something in every tier.
ARCHETYPE_SLOTS = [
    ("steady", 50),
    ("bumpy", 25),
    ("drifting", 8),
    ("eased_back", 8),
    ("red_flag", 4),
    ("pending", 5),
]
ACTIVE_ARCHETYPES = ("steady", "bumpy")  # a year of ordinary history: the pages measured


@dataclass(frozen=True)
class PatternSession:
    week: int
    day: int  # 0..6 inside the week
    activity: str
    minutes: int
    pain: int | None
    lasted: float
    sharp: bool
    flags: tuple[str, ...] = ()
    exertion: int | None = None
    pain_before: int | None = None

    @property
    def duration(self) -> str:
        """The answer the log form would have stored for `lasted` hours (PainDuration)."""
        return "later" if self.lasted > engine.PAIN_LASTED_HOURS_MAX else "within_2h"

    def summary(self) -> engine.SessionSummary:
        return engine.SessionSummary(
            minutes=self.minutes,
            pain=self.pain,
            pain_lasted_hours=self.lasted,
            sharp_pain=self.sharp,
            red_flags=frozenset(self.flags),
            pain_before=self.pain_before,
        )


@dataclass(frozen=True)
class Pattern:
    slot: int
    archetype: str
    treatment: str
    rules: engine.Rules | None
    stage: int
    activities: tuple[str, ...]
    sessions: tuple[PatternSession, ...] = ()
    weeks: tuple[engine.Prescription, ...] = ()

    @property
    def paused(self) -> bool:
        return bool(self.weeks) and self.weeks[-1].decision == engine.Decision.STOP


def _week_sessions(
    rng: random.Random, kind: str, week: int, prescribed: int, pattern: tuple
) -> list[PatternSession]:
    _, _, _, _, _, per_week, _, activities = pattern
    needed = engine.completed_needed(per_week)
    count = {
        "full": per_week,
        "mostly": max(needed, per_week - 1),
        "short": max(0, needed - 1),
        "painful": per_week - 1,
        "none": 0,
    }[kind]
    days = sorted(rng.sample(range(7), count))
    sessions = []
    for index, day in enumerate(days):
        done = kind != "short" or index == 0
        minutes = prescribed + rng.randint(0, 3) if done else max(1, prescribed * 3 // 5)
        low = kind == "full"
        pain = rng.randint(0, 2) if low else rng.randint(1, 4)
        if kind == "painful" and index == len(days) - 1:
            pain = rng.choice((7, 8))
        lasted = 3.0 if pain >= 7 else (1.0 if pain >= 3 else 0.0)
        given = rng.random() > 0.05  # a few old logs without pain scores
        sessions.append(
            PatternSession(
                week=week,
                day=day,
                activity=rng.choice(activities),
                minutes=minutes,
                pain=pain if given else None,
                lasted=lasted,
                sharp=False,
                exertion=rng.choice((None, 9, 11, 12, 13)),
                pain_before=min(pain, rng.randint(0, 2)) if given else None,
            )
        )
    return sessions


def build_pattern(slot: int, archetype: str, closed_weeks: int) -> Pattern:
    """One patient's history: sessions for `closed_weeks` closed weeks and the current one, and
    the engine's prescription for every week (1 .. closed + 1, plus the STOP week after a red flag).
    """
    rng = random.Random(f"stepwise-bench-{slot}")
    treatment = TREATMENTS[slot % len(TREATMENTS)]
    name, start, step_min, step_max, target, per_week, stage, activities = treatment
    if archetype == "pending":
        return Pattern(slot, archetype, name, None, stage, activities)
    rules = engine.Rules(start, step_min, step_max, target, per_week)
    weights = ARCHETYPE_WEEKS[archetype]
    sessions: list[PatternSession] = []
    history: list[engine.WeekLog] = []
    weeks = [engine.next_week(rules, history)]
    for week in range(1, closed_weeks + 2):  # the closed weeks, then the current one
        current = week == closed_weeks + 1
        kind = rng.choices(("full", "mostly", "short", "painful"), weights)[0]
        if archetype == "drifting" and week >= closed_weeks - 2:
            kind = "none"  # three silent weeks: two holds in a row, then nothing this week
        elif archetype == "eased_back" and week == closed_weeks:
            kind = "painful"
        elif current and kind == "painful":
            kind = "mostly"
        logged = _week_sessions(rng, kind, week, weeks[-1].minutes, treatment)
        if current and archetype == "red_flag":
            flag = "saddle_numbness" if slot % 2 else "calf_pain"
            logged = [
                PatternSession(week, 0, activities[0], weeks[-1].minutes, 4, 1.0, False, (flag,))
            ]
        sessions.extend(logged)
        if current:
            break
        history.append(
            engine.WeekLog(weeks[-1].minutes, tuple(session.summary() for session in logged))
        )
        weeks.append(engine.next_week(rules, history))
        assert weeks[-1].decision != engine.Decision.STOP, "closed weeks carry no red flags"
    if archetype == "red_flag":
        # session_log_create prescribes STOP for the week after the current one at once.
        current_log = engine.WeekLog(
            weeks[-1].minutes, tuple(s.summary() for s in sessions if s.week == closed_weeks + 1)
        )
        weeks.append(engine.next_week(rules, [*history, current_log]))
    return Pattern(slot, archetype, name, rules, stage, activities, tuple(sessions), tuple(weeks))


def build_patterns(closed_weeks: int) -> list[Pattern]:
    archetypes = [name for name, share in ARCHETYPE_SLOTS for _ in range(share)]
    # Spread the archetypes so any run of consecutive patients (one clinician's list) mixes them.
    order = random.Random("stepwise-bench-slots").sample(archetypes, len(archetypes))
    return [build_pattern(slot, order[slot], closed_weeks) for slot in range(SLOTS)]


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


# --- path 2: in bulk -----------------------------------------------------------------------------


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if value is None else str(value) for value in row) + "\n")
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _load_patterns(cursor, patterns: list[Pattern]) -> None:
    kinds = dict(TreatmentType.objects.values_list("name", "id"))
    cursor.execute(
        """
        CREATE TEMP TABLE bench_pattern (
            slot int PRIMARY KEY, archetype text, treatment_type_id bigint, stage int,
            activities jsonb, start_minutes int, min_increment int, max_increment int,
            target_minutes int, sessions_per_week int, paused bool, tier text
        );
        CREATE TEMP TABLE bench_pattern_week (
            slot int, week int, minutes int, sessions_per_week int, decision text, reason text,
            review text, cause text, cause_numbers jsonb
        );
        CREATE TEMP TABLE bench_pattern_session (
            slot int, week int, day int, activity text, minutes int, pain int,
            lasted numeric(4, 1), sharp bool, flags jsonb, exertion int, pain_before int,
            duration text
        );
        """
    )
    _copy(
        cursor,
        "bench_pattern",
        [
            "slot",
            "archetype",
            "treatment_type_id",
            "stage",
            "activities",
            "start_minutes",
            "min_increment",
            "max_increment",
            "target_minutes",
            "sessions_per_week",
            "paused",
            "tier",
        ],
        (
            (
                p.slot,
                p.archetype,
                kinds[p.treatment],
                p.stage,
                json.dumps(list(p.activities)),
                *(
                    (
                        p.rules.start_minutes,
                        p.rules.min_increment,
                        p.rules.max_increment,
                        p.rules.target_minutes,
                        p.rules.sessions_per_week,
                    )
                    if p.rules
                    else (None,) * 5
                ),
                "t" if p.paused else "f",
                engine.red_flag_tier(f for s in p.sessions for f in s.flags),
            )
            for p in patterns
        ),
    )
    _copy(
        cursor,
        "bench_pattern_week",
        [
            *("slot", "week", "minutes", "sessions_per_week", "decision", "reason", "review"),
            *("cause", "cause_numbers"),
        ],
        (
            (
                p.slot,
                w.week,
                w.minutes,
                w.sessions_per_week,
                w.decision.value,
                w.reason,
                w.review.value,
                w.cause.value,
                json.dumps(dict(w.cause_numbers)),
            )
            for p in patterns
            for w in p.weeks
        ),
    )
    _copy(
        cursor,
        "bench_pattern_session",
        [
            *("slot", "week", "day", "activity", "minutes"),
            *("pain", "lasted", "sharp", "flags", "exertion", "pain_before", "duration"),
        ],
        (
            (
                p.slot,
                s.week,
                s.day,
                s.activity,
                s.minutes,
                s.pain,
                s.lasted,
                "t" if s.sharp else "f",
                json.dumps(list(s.flags)),
                s.exertion,
                s.pain_before,
                s.duration,
            )
            for p in patterns
            for s in p.sessions
        ),
    )
    cursor.execute(
        "ANALYZE bench_pattern; ANALYZE bench_pattern_week; ANALYZE bench_pattern_session"
    )


_NEXT_ID = "SELECT coalesce(max(id), 0) FROM {}"

FIRST_NAMES = [
    "Ada", "Bo", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo",
    "Kai", "Lea", "Milo", "Nia", "Oto", "Pia", "Quin", "Rae", "Sol", "Tess",
]  # fmt: skip


def seed_bulk(cursor, *, size: Size, clinicians: list[User], skip: set[int], today: date) -> None:
    """Patients 1..size.patients except `skip` (already seeded through the services)."""
    bases = {}
    for table in (
        "recovery_user",
        "recovery_patientprofile",
        "recovery_treatment",
        "recovery_clearance",
        "plans_plan",
    ):
        cursor.execute(_NEXT_ID.format(table))
        bases[table] = cursor.fetchone()[0] + 1000
    cursor.execute(
        """
        CREATE TEMP TABLE bench_patient AS
        SELECT g,
               (g - 1) %% %(slots)s AS slot,
               (%(clinicians)s::bigint[])[(g - 1) / %(panel)s + 1] AS clinician_id,
               %(user)s + g AS user_id,
               %(patient)s + g AS patient_id,
               %(treatment)s + g AS treatment_id,
               %(clearance)s + g AS clearance_id,
               %(plan)s + g AS plan_id,
               %(today)s::date - (7 * %(closed)s + g %% 7) AS start_date
        FROM generate_series(1, %(patients)s) AS g
        WHERE g <> ALL(%(skip)s::int[]);
        ALTER TABLE bench_patient ADD PRIMARY KEY (g);
        ANALYZE bench_patient;
        """,
        {
            "slots": SLOTS,
            "clinicians": [c.pk for c in clinicians],
            "panel": size.panel,
            "user": bases["recovery_user"],
            "patient": bases["recovery_patientprofile"],
            "treatment": bases["recovery_treatment"],
            "clearance": bases["recovery_clearance"],
            "plan": bases["plans_plan"],
            "today": today,
            "closed": size.closed_weeks,
            "patients": size.patients,
            "skip": sorted(skip),
        },
    )
    # Times of day: enrolment and clearance decisions at noon UTC, sessions at 18:00 local.
    cursor.execute(
        """
        INSERT INTO recovery_user (id, password, last_login, is_superuser, username, first_name,
                                   last_name, email, is_staff, is_active, date_joined, role,
                                   language)
        SELECT b.user_id, '!bench-no-password', NULL, false, 'bench-p' || b.g,
               (%(names)s::text[])[b.g %% 20 + 1], 'Patient ' || b.g,
               'bench-p' || b.g || '@bench.stepwise.example', false, true,
               b.start_date - 31 + time '12:00', 'patient', 'en'
        FROM bench_patient b;

        INSERT INTO recovery_patientprofile (id, user_id, clinician_id, timezone,
                                             reminder_weekday, reminder_hour, reminders_enabled,
                                             created_at, phone, record_number)
        SELECT b.patient_id, b.user_id, b.clinician_id, %(tz)s, b.g %% 7, 7 + b.g %% 12, true,
               b.start_date - 31 + time '12:00', '(555) 010-' || lpad((b.g %% 10000)::text, 4, '0'),
               'B' || b.g
        FROM bench_patient b;

        INSERT INTO recovery_treatment (id, patient_id, treatment_type_id, procedure_date,
                                        created_at)
        SELECT b.treatment_id, b.patient_id, p.treatment_type_id, b.start_date - 30,
               b.start_date - 31 + time '12:00'
        FROM bench_patient b JOIN bench_pattern p USING (slot);

        INSERT INTO recovery_clearance (id, patient_id, treatment_id, status, requested_at,
                                        decided_by_id, decided_at, decision_reason,
                                        override_reason, allowed_activities, max_stage,
                                        restrictions, start_date, start_minutes, min_increment,
                                        max_increment, target_minutes, sessions_per_week)
        SELECT b.clearance_id, b.patient_id, b.treatment_id,
               CASE WHEN p.archetype = 'pending' THEN 'pending' ELSE 'approved' END,
               b.start_date - 31 + time '12:00',
               CASE WHEN p.archetype = 'pending' THEN NULL ELSE b.clinician_id END,
               CASE WHEN p.archetype = 'pending' THEN NULL
                    ELSE b.start_date + time '12:00' END,
               '', '',
               CASE WHEN p.archetype = 'pending' THEN '[]'::jsonb ELSE p.activities END,
               p.stage, '',
               CASE WHEN p.archetype = 'pending' THEN NULL ELSE b.start_date END,
               p.start_minutes, p.min_increment, p.max_increment, p.target_minutes,
               p.sessions_per_week
        FROM bench_patient b JOIN bench_pattern p USING (slot);

        INSERT INTO recovery_clearanceevent (clearance_id, actor_id, at, from_status, to_status,
                                             reason)
        SELECT b.clearance_id, b.clinician_id, b.start_date - 31 + time '12:00', '', 'pending', ''
        FROM bench_patient b
        UNION ALL
        SELECT b.clearance_id, b.clinician_id, b.start_date + time '12:00', 'pending',
               'approved', ''
        FROM bench_patient b JOIN bench_pattern p USING (slot)
        WHERE p.archetype <> 'pending';

        INSERT INTO plans_plan (id, patient_id, clearance_id, restarted_from_id, start_date, stage,
                                status, pause_cause, pause_day, pause_reason, paused_at,
                                allowed_activities, created_at, ended_at, start_minutes,
                                min_increment, max_increment, target_minutes, sessions_per_week,
                                stage_override_reason)
        SELECT b.plan_id, b.patient_id, b.clearance_id, NULL, b.start_date, p.stage,
               CASE WHEN p.paused THEN 'paused' ELSE 'active' END,
               CASE WHEN p.paused THEN 'warning_sign' ELSE '' END,
               CASE WHEN p.paused THEN b.start_date + 7 * %(closed)s END,
               '',
               CASE WHEN p.paused THEN b.start_date + 7 * %(closed)s + time '23:00' END,
               p.activities, b.start_date + time '12:00', NULL,
               p.start_minutes, p.min_increment, p.max_increment, p.target_minutes,
               p.sessions_per_week, ''
        FROM bench_patient b JOIN bench_pattern p USING (slot)
        WHERE p.archetype <> 'pending';
        """,
        {"names": FIRST_NAMES, "tz": TIMEZONE, "closed": size.closed_weeks},
    )
    # Each week is created when the week before it closes (week 1 at approval).
    cursor.execute(
        """
        INSERT INTO plans_planweek (plan_id, week, minutes, sessions_per_week, decision, reason,
                                    review, cause, cause_numbers, created_at)
        SELECT b.plan_id, w.week, w.minutes, w.sessions_per_week, w.decision, w.reason, w.review,
               w.cause, w.cause_numbers, b.start_date + 7 * (w.week - 1) + time '06:00'
        FROM bench_patient b JOIN bench_pattern_week w USING (slot)
        ORDER BY b.plan_id, w.week
        """
    )
    # Sessions of the current week only up to today (the plan is g % 7 days into it).
    cursor.execute(
        """
        INSERT INTO plans_sessionlog (plan_id, date, week, activity, minutes, pain_before, pain,
                                      pain_duration, pain_lasted_hours, sharp_pain, red_flags,
                                      exertion, notes, submission_token, created_at)
        SELECT b.plan_id, b.start_date + 7 * (s.week - 1) + s.day, s.week, s.activity, s.minutes,
               s.pain_before, s.pain, s.duration, s.lasted, s.sharp, s.flags, s.exertion, '',
               gen_random_uuid(),
               (b.start_date + 7 * (s.week - 1) + s.day + time '18:00') AT TIME ZONE %(tz)s
        FROM bench_patient b JOIN bench_pattern_session s USING (slot)
        WHERE s.week <= %(closed)s OR s.day <= b.g %% 7
        ORDER BY b.plan_id, s.week, s.day
        """,
        {"tz": TIMEZONE, "closed": size.closed_weeks},
    )
    cursor.execute(
        """
        INSERT INTO plans_alert (plan_id, patient_id, session_log_id, kind, tier, flags,
                                 created_at, email_sent_at, email_attempts, email_last_error,
                                 escalate_at, escalated_at, escalation_attempts,
                                 escalation_last_error, outcome, outcome_note)
        SELECT l.plan_id, b.patient_id, l.id, 'warning_sign', p.tier, l.red_flags, l.created_at,
               l.created_at + interval '1 minute', 1, '', l.created_at,
               l.created_at + interval '1 minute', 1, '', '', ''
        FROM bench_patient b
             JOIN bench_pattern p USING (slot)
             JOIN plans_sessionlog l ON l.plan_id = b.plan_id
        WHERE p.archetype = 'red_flag' AND l.red_flags <> '[]'::jsonb
        """
    )
    for table in (
        "recovery_user",
        "recovery_patientprofile",
        "recovery_treatment",
        "recovery_clearance",
        "plans_plan",
    ):
        cursor.execute(
            # The table names are the constants above.
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT max(id) FROM {table}))"
        )


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
        _load_patterns(cursor, patterns)
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
