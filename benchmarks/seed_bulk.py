"""The benchmark seed's second path, for volume: the patterns go to temporary tables with
PostgreSQL COPY, then users, profiles, treatments, clearances, plans, weeks and sessions are
written by set-based `INSERT ... SELECT` over `generate_series`, one statement per table
(benchmarks.seed runs it in one transaction)."""

from __future__ import annotations

import io
import json
from datetime import date

from benchmarks.seed_patterns import SLOTS, TIMEZONE, Pattern, Size
from plans import engine
from recovery.models import TreatmentType, User


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if value is None else str(value) for value in row) + "\n")
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def load_patterns(cursor, patterns: list[Pattern]) -> None:
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
