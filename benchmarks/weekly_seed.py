"""The weekly-pass benchmark's seed (benchmarks/weekly.py): N active plans whose week 1 has just
finished, with its sessions logged and the week-2 reminder due, written with the ORM's
`bulk_create` in chunks; and the databases it is copied from."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Tokyo",
    "UTC",
]
SEED_CHUNK = 5000


def _admin():
    import psycopg2

    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="root", dbname="postgres")
    admin.autocommit = True
    return admin


def recreate(name: str, template: str | None = None) -> None:
    admin = _admin()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copy = f' TEMPLATE "{template}"' if template else ""
        cursor.execute(f'CREATE DATABASE "{name}"{copy}')
    admin.close()


def session_kinds(i: int) -> list[dict]:
    """Week 1's sessions of plan i (prescribed 15 minutes, 3 a week), by what they decide."""
    green = {"minutes": 15, "pain_before": 2, "pain": 2}
    kind = i % 100
    if kind == 0:  # a warning sign: STOP, the plan is paused
        return [green, {**green, "red_flags": ["fever"]}]
    if kind < 6:  # a red session: REDUCE
        return [green, {**green, "pain": 7, "pain_lasted_hours": Decimal("3.0")}]
    if kind < 16:  # nothing logged: HOLD
        return []
    if kind < 21:  # overdoing: HOLD, review
        return [{**green, "minutes": 45}, green]
    if kind < 36:  # amber: the smaller step
        return [green, {**green, "pain": 5, "pain_before": 2}, green]
    if kind < 46:  # too few completed
        return [green]
    return [green, green, green]  # all green: the larger step


def seed(plans: int, log) -> float:
    from zoneinfo import ZoneInfo

    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX as UNUSABLE_PASSWORD
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    from plans.models import Plan, PlanWeek, SessionLog
    from recovery.models import (
        Clearance,
        ClearanceStatus,
        ClinicianProfile,
        PatientProfile,
        Role,
        Treatment,
        TreatmentType,
        User,
    )

    started = time.perf_counter()
    now = timezone.now()
    clinician = User.objects.create(
        username="bench-clinician",
        role=Role.CLINICIAN,
        email="clinic@bench.invalid",
        password=UNUSABLE_PASSWORD,
    )
    ClinicianProfile.objects.create(user=clinician)
    injection = TreatmentType.objects.get(name="Epidural steroid injection")
    rules = {
        "start_minutes": 15,
        "min_increment": 5,
        "max_increment": 10,
        "target_minutes": 45,
        "sessions_per_week": 3,
    }
    local_today = {zone: now.astimezone(ZoneInfo(zone)).date() for zone in ZONES}
    for first in range(1, plans + 1, SEED_CHUNK):
        rows: dict[type, list] = {
            m: [] for m in (User, PatientProfile, Treatment, Clearance, Plan, PlanWeek, SessionLog)
        }
        for i in range(first, min(first + SEED_CHUNK, plans + 1)):
            uid = i + 1  # the clinician is user 1
            zone = ZONES[i % len(ZONES)]
            start = local_today[zone] - timedelta(days=8)
            rows[User].append(
                User(
                    id=uid,
                    username=f"p{i}",
                    email=f"p{i}@bench.invalid",
                    first_name=f"Pat{i}",
                    role=Role.PATIENT,
                    password=UNUSABLE_PASSWORD,
                )
            )
            rows[PatientProfile].append(
                PatientProfile(
                    id=i,
                    user_id=uid,
                    clinician=clinician,
                    timezone=zone,
                    reminder_weekday=(start + timedelta(days=7)).weekday(),
                    reminder_hour=0,
                )
            )
            rows[Treatment].append(
                Treatment(
                    id=i,
                    patient_id=i,
                    treatment_type=injection,
                    procedure_date=start - timedelta(days=20),
                )
            )
            rows[Clearance].append(
                Clearance(
                    id=i,
                    patient_id=i,
                    treatment_id=i,
                    status=ClearanceStatus.APPROVED,
                    decided_by=clinician,
                    decided_at=now,
                    allowed_activities=["walking"],
                    max_stage=1,
                    start_date=start,
                    **rules,
                )
            )
            rows[Plan].append(
                Plan(
                    id=i,
                    patient_id=i,
                    clearance_id=i,
                    start_date=start,
                    stage=1,
                    allowed_activities=["walking"],
                    **rules,
                )
            )
            rows[PlanWeek].append(
                PlanWeek(
                    plan_id=i,
                    week=1,
                    minutes=15,
                    sessions_per_week=3,
                    decision="start",
                    reason="Your first week starts gently at 15 minutes per session.",
                    cause="start",
                    cause_numbers={"minutes": 15},
                )
            )
            for n, values in enumerate(session_kinds(i)):
                rows[SessionLog].append(
                    SessionLog(
                        plan_id=i, date=start + timedelta(days=2 * n), week=1, activity="walking"
                    )
                )
                for name, value in values.items():
                    setattr(rows[SessionLog][-1], name, value)
        for model, objects in rows.items():
            model.objects.bulk_create(objects, batch_size=SEED_CHUNK)
        if first // SEED_CHUNK % 10 == 0:
            log(f"  seeded {min(first + SEED_CHUNK - 1, plans):,} plans")
    with connection.cursor() as cursor:
        models = [User, PatientProfile, Treatment, Clearance, Plan, PlanWeek, SessionLog]
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
    connection.close()
    return time.perf_counter() - started


def vacuum(name: str) -> None:
    import psycopg2  # VACUUM must run outside a transaction

    db = psycopg2.connect(host="127.0.0.1", port=5432, user="root", dbname=name)
    db.autocommit = True
    with db.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    db.close()
