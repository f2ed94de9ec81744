"""The four query budgets of the performance issue and the tailoring page's, in one table.

| page                                      | budget | checked with                                |
|-------------------------------------------|-------:|---------------------------------------------|
| `/me/`                                    |     10 | a week, a year and three years of history   |
| `POST /me/sessions/new/`                  |      8 | the same patients logging one more session  |
| `/clinic/`                                |     15 | a clinician with 10 patients, and with 500  |
| `/clinic/patients/<id>/`                  |     18 | a week, a year and three years of history   |
| `/clinic/patients/<id>/programme/tailor/` |      7 | untailored, or 1 or 3 exercises tailored    |

Pages are drawn on every request (there is no page cache). Sessions are in the database, so each
request reads its session (the log POST: session, user, the page's plan, the plan locked with its
last week, the earlier submission of the same form if any, the INSERT, and the savepoint pair a
test's transaction adds).

Query counts are deterministic, so unlike throughput they are tests. Each counts every statement
of a signed-in request (the session's too when it is not cached) after one warm-up request: the
first request after signing in stores the session's clock, which a real sign-in does once. Every
test also checks that the page really is the page (status and content), so a redirect cannot
pass.
`benchmarks/run.py` reports the same counts against the seeded PostgreSQL database.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plans import services as plan_services
from plans.models import (
    Alert,
    AlertTier,
    Exercise,
    PauseCause,
    Plan,
    PlanStatus,
    PlanWeek,
    SessionLog,
)
from plans.patient_record import PATIENT_DETAIL_QUERY_BUDGET
from plans.services import ItemDose
from plans.triage import TRIAGE_QUERY_BUDGET
from recovery.models import (
    Clearance,
    ClearanceStatus,
    PatientProfile,
    Role,
    Treatment,
    TreatmentType,
    User,
)
from tests.support import DASHBOARD_QUERY_BUDGET, signed_in, text, with_history

BUDGETS = {
    "dashboard": DASHBOARD_QUERY_BUDGET,
    "log": 8,
    "triage": TRIAGE_QUERY_BUDGET,
    "patient": PATIENT_DETAIL_QUERY_BUDGET,
    "tailor": 7,
}

THREE_YEARS = 156  # closed weeks


def drawn(client: Client, path: str, page: str, assert_max):
    """The page, drawn within its budget."""
    client.get(path)  # the first request after signing in stores the session's clock
    with assert_max(BUDGETS[page]):
        response = client.get(path)
    assert response.status_code == 200
    return response


# --- the patient ---------------------------------------------------------------------------------


@pytest.fixture
def ana_three_years(ana) -> Plan:
    return with_history(ana, weeks=THREE_YEARS)


def test_dashboard_with_three_years_of_history(ana_three_years, django_assert_max_num_queries):
    client = signed_in(ana_three_years.patient.user)
    response = drawn(client, reverse("me:dashboard"), "dashboard", django_assert_max_num_queries)
    assert f"Week {THREE_YEARS + 1}" in text(response)


@pytest.mark.parametrize("weeks", [1, 52])
def test_dashboard_with_a_week_or_a_year_of_history(weeks, ana, django_assert_max_num_queries):
    plan = with_history(ana, weeks=weeks)
    client = signed_in(plan.patient.user)
    response = drawn(client, reverse("me:dashboard"), "dashboard", django_assert_max_num_queries)
    assert f"Week {weeks + 1}" in text(response)


@pytest.mark.parametrize("weeks", [1, 52, THREE_YEARS])
def test_logging_a_session_with_any_history(weeks, ana, django_assert_max_num_queries):
    plan = with_history(ana, weeks=weeks)
    patient = plan.patient
    client = signed_in(patient.user)
    client.get(reverse("me:session_new"))
    today = plan_services.patient_today(patient)
    before = SessionLog.objects.filter(plan=plan).count()
    with django_assert_max_num_queries(BUDGETS["log"]):
        response = client.post(
            reverse("me:session_new"),
            {
                "date": today.isoformat(),
                "activity": "walking",
                "minutes": "30",
                "pain_before": "1",
                "pain": "2",
                "pain_duration": "within_2h",
                "no_red_flags": "on",
                "exertion": "11",
                "notes": "",
                "submission_token": str(uuid.uuid4()),
            },
        )
    assert response.status_code == 302, text(response)[:500]
    assert SessionLog.objects.filter(plan=plan).count() == before + 1


# --- the clinician -------------------------------------------------------------------------------


def panel(clinician: User, count: int) -> list[PatientProfile]:
    """`count` patients of one clinician in every state triage sorts, written in bulk.

    Every tenth is waiting for clearance; of the others, every ninth is paused by a red flag with
    an open alert, every seventh had its last week eased back, every fifth has not logged for
    three weeks, the rest are on track. Each plan has four prescribed weeks with sessions.
    """
    kind = TreatmentType.objects.get(name="Epidural steroid injection")
    now = timezone.now()
    today = timezone.localdate()
    users = User.objects.bulk_create(
        User(
            username=f"panel-{n}",
            role=Role.PATIENT,
            first_name="Panel",
            last_name=f"Person{n:03d}",
            email=f"panel-{n}@example.org",
            password="!unusable",
        )
        for n in range(count)
    )
    patients = PatientProfile.objects.bulk_create(
        PatientProfile(user=user, clinician=clinician) for user in users
    )
    treatments = Treatment.objects.bulk_create(
        Treatment(patient=p, treatment_type=kind, procedure_date=today - timedelta(days=60))
        for p in patients
    )
    waiting = {n for n in range(count) if n % 10 == 0}
    start = today - timedelta(days=7 * 3 + 3)  # week 4, three closed weeks
    rules = {
        "start_minutes": 15,
        "min_increment": 5,
        "max_increment": 10,
        "target_minutes": 45,
        "sessions_per_week": 3,
    }
    clearances = Clearance.objects.bulk_create(
        Clearance(patient=p, treatment=t)
        if n in waiting
        else Clearance(
            patient=p,
            treatment=t,
            status=ClearanceStatus.APPROVED,
            decided_by=clinician,
            decided_at=now,
            allowed_activities=["walking"],
            max_stage=1,
            start_date=start,
            **rules,
        )
        for n, (p, t) in enumerate(zip(patients, treatments, strict=True))
    )
    planned = [n for n in range(count) if n not in waiting]
    red = {n for n in planned if n % 9 == 1}
    plans = Plan.objects.bulk_create(
        Plan(
            patient=patients[n],
            clearance=clearances[n],
            start_date=start,
            allowed_activities=["walking"],
            status=PlanStatus.PAUSED if n in red else PlanStatus.ACTIVE,
            pause_cause=PauseCause.WARNING_SIGN if n in red else PauseCause.NONE,
            pause_day=start if n in red else None,
            paused_at=now if n in red else None,
            **rules,
        )
        for n in planned
    )
    by_n = dict(zip(planned, plans, strict=True))
    weeks, logs = [], []
    for n, plan in by_n.items():
        eased = n % 7 == 3
        idle = n % 5 == 2
        minutes = 15
        for week in range(1, 5):
            decision = "start" if week == 1 else "progress"
            if week == 4 and eased:
                decision = "reduce"
            weeks.append(
                PlanWeek(
                    plan=plan,
                    week=week,
                    minutes=minutes,
                    sessions_per_week=3,
                    decision=decision,
                    reason="Bulk week.",
                )
            )
            if week < 4 and not (idle and week > 1):
                logs.extend(
                    SessionLog(
                        plan=plan,
                        date=start + timedelta(days=7 * (week - 1) + day),
                        week=week,
                        activity="walking",
                        minutes=minutes,
                        pain=8 if eased and week == 3 and day == 4 else 2,
                        red_flags=["calf_pain"] if n in red and week == 3 and day == 4 else [],
                        submission_token=uuid.uuid4(),
                    )
                    for day in (0, 2, 4)
                )
            minutes += 5
    PlanWeek.objects.bulk_create(weeks)
    logs = SessionLog.objects.bulk_create(logs)
    Alert.objects.bulk_create(
        Alert(
            plan=log.plan,
            patient=log.plan.patient,
            session_log=log,
            tier=AlertTier.SAME_DAY,
            flags=log.red_flags,
        )
        for log in logs
        if log.red_flags
    )
    return patients


@pytest.mark.parametrize("count", [10, 500])
def test_triage_costs_the_same_for_10_or_500_patients(count, dr_cho, django_assert_max_num_queries):
    patients = panel(dr_cho, count)
    client = signed_in(dr_cho)
    url = reverse("clinic:triage")
    response = drawn(client, url, "triage", django_assert_max_num_queries)
    attention, others = response.context["attention"], response.context["others"]
    # Both lists are paged: every patient is on a page of one of them, each page within budget.
    pages = [response.content.decode()]
    for param, first in (("page", attention), ("others", others)):
        for number in range(2, first.paginator.num_pages + 1):
            with django_assert_max_num_queries(BUDGETS["triage"]):
                pages.append(client.get(f"{url}?{param}={number}").content.decode())
    assert len(pages) == attention.paginator.num_pages + others.paginator.num_pages - 1
    assert (len(pages) > 2) == (count == 500)
    everyone = "".join(pages)
    missing = [p.user.last_name for p in patients if p.user.last_name not in everyone]
    assert missing == []


@pytest.mark.parametrize("weeks", [1, 52, THREE_YEARS])
def test_patient_page_costs_the_same_for_any_history(
    weeks, ana, dr_cho, django_assert_max_num_queries
):
    with_history(ana, weeks=weeks)
    client = signed_in(dr_cho)
    response = drawn(
        client, reverse("clinic:patient", args=[ana.pk]), "patient", django_assert_max_num_queries
    )
    assert ana.user.get_full_name() in text(response)
    assert f"Week {weeks + 1}" in text(response) or f"week {weeks + 1}" in text(response)


@pytest.mark.parametrize("length", [0, 1, 3])
def test_the_tailoring_page_costs_the_same_for_any_programme(
    length, ana, dr_cho, django_assert_num_queries
):
    """The session, the user, Ana (through the access helper), her open plan with its treatment,
    every exercise the stage allows (the form's blocks), her tailored items and the audit row.
    0: untailored, the stage's exercises at their usual dose (read once, for both)."""
    plan = with_history(ana, weeks=1)
    made = [
        Exercise.objects.create(
            name=f"Exercise {n}", category="core", stage=1, instructions="Move.", default_reps=5
        )
        for n in range(3)
    ]
    if length:
        items = [ItemDose(e.pk, None, 5, None, 1) for e in made[:length]]
        plan_services.programme_set(patient=plan.patient, actor=dr_cho, items=items)
    client = signed_in(dr_cho)
    url = reverse("clinic:programme_tailor", args=[ana.pk])
    client.get(url)  # the first request after signing in stores the session's clock
    with django_assert_num_queries(BUDGETS["tailor"]):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("<fieldset>") == 3


def test_the_table_in_the_docstring_matches_the_budgets():
    table = dict(re.findall(r"^\| `([^`]+)`\s+\|\s+(\d+) \|", __doc__, flags=re.MULTILINE))
    assert [int(v) for v in table.values()] == list(BUDGETS.values())


# --- helpers the tests above rely on ------------------------------------------------------------


def test_with_history_matches_what_the_services_would_write(ana):
    """The bulk sessions close into weeks exactly as logging them one by one would."""
    plan = with_history(ana, weeks=3)
    weeks = list(PlanWeek.objects.filter(plan=plan).values_list("week", "decision"))
    assert weeks == [(1, "start"), (2, "progress"), (3, "progress"), (4, "progress")]
