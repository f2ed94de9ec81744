"""The reminders benchmark's database: recreated, migrated and seeded with N patients whose
active plan's weekly reminder is due now.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

from benchmarks.reminders_env import DATABASE, ROOT

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Tokyo",
    "UTC",
]
SEED_CHUNK = 5000


# --- seeding -------------------------------------------------------------------------------------


def recreate_database(env: dict[str, str]) -> None:
    import psycopg2

    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="root", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{DATABASE}"')
    admin.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def seed(plans: int) -> dict[str, float]:
    """N patients, each with an approved clearance and an active plan in week 1 whose reminder
    (the day after the plan started, 09:00 on the patient's clock) is due: every plan is due."""
    from zoneinfo import ZoneInfo

    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX as UNUSABLE_PASSWORD
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    from plans.models import Plan, PlanWeek
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
    for first in range(1, plans + 1, SEED_CHUNK):
        ids = range(first, min(first + SEED_CHUNK, plans + 1))
        users, profiles, treatments, clearances, plan_rows, weeks = [], [], [], [], [], []
        for i in ids:
            uid = i + 1  # the clinician is user 1
            zone = ZONES[i % len(ZONES)]
            start = now.astimezone(ZoneInfo(zone)).date() - timedelta(days=2)
            users.append(
                User(
                    id=uid,
                    username=f"p{i}",
                    email=f"p{i}@bench.invalid",
                    first_name=f"Pat{i}",
                    role=Role.PATIENT,
                    password=UNUSABLE_PASSWORD,
                )
            )
            profiles.append(
                PatientProfile(
                    id=i,
                    user_id=uid,
                    clinician=clinician,
                    timezone=zone,
                    reminder_weekday=(start + timedelta(days=1)).weekday(),
                    reminder_hour=9,
                )
            )
            treatments.append(
                Treatment(
                    id=i,
                    patient_id=i,
                    treatment_type=injection,
                    procedure_date=start - timedelta(days=20),
                )
            )
            clearances.append(
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
            plan_rows.append(
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
            weeks.append(
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
        for model, rows in (
            (User, users),
            (PatientProfile, profiles),
            (Treatment, treatments),
            (Clearance, clearances),
            (Plan, plan_rows),
            (PlanWeek, weeks),
        ):
            model.objects.bulk_create(rows, batch_size=SEED_CHUNK)
    models = [User, PatientProfile, Treatment, Clearance, Plan, PlanWeek]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
    connection.close()
    import psycopg2  # VACUUM must run outside a transaction

    vacuum = psycopg2.connect(host="127.0.0.1", port=5432, user="root", dbname=DATABASE)
    vacuum.autocommit = True
    with vacuum.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    vacuum.close()
    return {"seed_seconds": time.perf_counter() - started}
