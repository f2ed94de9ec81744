"""Triage: who needs the clinician first, in a fixed number of queries."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans import services as plan_services
from plans.models import Alert, Plan, PlanStatus, PlanWeek, SessionLog
from plans.triage import Tier, clinician_triage
from recovery.models import (
    Clearance,
    ClearanceStatus,
    PatientProfile,
    Role,
    Treatment,
    TreatmentType,
    User,
)
from tests.conftest import approve, make_patient

pytestmark = pytest.mark.django_db


TODAY = date.today()


def local_today() -> date:
    """Today on the personas' clock (America/New_York), which can differ from the server's."""
    return timezone.localdate(timezone=ZoneInfo("America/New_York"))


def patient(name: str, clinician: User, *, treatment="Epidural steroid injection", days_ago=30):
    return make_patient(
        name.lower(),
        name,
        clinician,
        treatment=treatment,
        procedure_date=local_today() - timedelta(days=days_ago),
    )


def running_plan(
    person: PatientProfile, *, started: int, decisions=(), sessions=(), minutes: int = 15
) -> Plan:
    """A plan started `started` days ago; weeks 2.. carry `decisions`; a session per day-ago."""
    today = plan_services.patient_today(person)
    plan = approve(
        person, start=today - timedelta(days=started), today=today - timedelta(days=started)
    )
    for week, decision in enumerate(decisions, start=2):
        PlanWeek.objects.create(
            plan=plan,
            week=week,
            minutes=15,
            sessions_per_week=3,
            decision=decision,
            reason=f"Crafted {decision}.",
        )
    for days_ago in sessions:
        day = today - timedelta(days=days_ago)
        SessionLog.objects.create(
            plan=plan, date=day, week=plan.week_of(day), activity="walking", minutes=minutes
        )
    return plan


def alert_for(person: PatientProfile, flags, *, hours_ago: int, acknowledge=False) -> Alert:
    running_plan(person, started=3)
    alert = plan_services.session_log_create(
        patient=person,
        day=plan_services.patient_today(person),
        activity="walking",
        minutes=15,
        red_flags=flags,
    ).alert
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago))
    if acknowledge:
        plan_services.alert_acknowledge(alert=alert, actor=person.clinician)
    return alert


@pytest.fixture
def crafted(dr_cho, dr_dev, ben):
    """One of Dr Cho's patients in each place of the order, plus one who needs nothing."""
    people = {}

    def add(name, **kwargs):
        people[name] = patient(name, dr_cho, **kwargs)
        return people[name]

    # Same-day alert older than both emergencies: emergencies still come first.
    alert_for(add("Sally"), ["fever"], hours_ago=5)
    alert_for(add("Emma"), ["bladder_bowel"], hours_ago=2)
    alert_for(add("Eric"), ["both_legs", "numbness"], hours_ago=1)
    alert_for(add("Stan"), ["fall"], hours_ago=30, acknowledge=True)  # STOP, acknowledged
    running_plan(add("Rita"), started=9, decisions=["reduce"], sessions=[1])
    running_plan(add("Lou"), started=30, decisions=["progress"] * 3, sessions=[20])
    running_plan(add("Hal"), started=16, decisions=["hold", "hold"], sessions=[1], minutes=5)
    running_plan(add("Ivy"), started=12, decisions=["progress"], sessions=[4])
    add("Rhea", days_ago=10)  # pending clearance, minimum of 2 days passed
    add("Fay", treatment="Lumbar fusion", days_ago=3)  # pending, minimum of 14 days not reached
    running_plan(add("Olga"), started=9, decisions=["progress"], sessions=[1])  # on track
    alert_for(ben, ["saddle_numbness"], hours_ago=10)  # Dr Dev's patient: never on Dr Cho's list
    return people


EXPECTED_ORDER = ["Emma", "Eric", "Sally", "Stan", "Rita", "Lou", "Hal", "Ivy", "Rhea", "Fay"]


def first_names(rows) -> list[str]:
    return [row.name.split()[0] for row in rows]


def test_rows_come_in_order_of_urgency(crafted, dr_cho):
    triage = clinician_triage(dr_cho)
    assert first_names(triage.rows) == EXPECTED_ORDER
    assert [row.tier for row in triage.rows] == [
        Tier.RED_FLAG,
        Tier.RED_FLAG,
        Tier.RED_FLAG,
        Tier.EASED_BACK,
        Tier.EASED_BACK,
        Tier.ENGAGEMENT,
        Tier.ENGAGEMENT,
        Tier.ENGAGEMENT,
        Tier.CLEARANCE,
        Tier.CLEARANCE,
    ]
    assert first_names(triage.others) == ["Olga"]
    assert triage.counts == [
        (Tier.RED_FLAG, 3),
        (Tier.EASED_BACK, 2),
        (Tier.ENGAGEMENT, 3),
        (Tier.CLEARANCE, 2),
    ]


def test_each_row_says_why_in_a_few_words(crafted, dr_cho):
    rows = {row.name.split()[0]: row for row in clinician_triage(dr_cho).rows}
    assert rows["Emma"].reason.why == "Emergency warning sign"
    assert "Loss of control of your bladder or bowels" in rows["Emma"].reason.detail
    assert rows["Sally"].reason.why == "Same-day warning sign"
    assert [a.tier for a in rows["Sally"].alerts] == ["same_day"]
    assert rows["Stan"].reason.why == "Plan stopped"
    assert rows["Stan"].alerts == []
    assert rows["Rita"].reason.why == "Week 2 eased back"
    assert rows["Lou"].reason.why == "No session for 20 days"
    assert rows["Hal"].reason.why == "Held two weeks running"
    assert rows["Ivy"].reason.why == "No session for 4 days"
    assert rows["Rhea"].reason.why == "Ready for a clearance decision"
    assert "10 days since the procedure" in rows["Rhea"].reason.detail
    assert "minimum of 2 days passed" in rows["Rhea"].reason.detail
    assert rows["Fay"].reason.why == "Clearance waiting (too early)"
    assert "3 days since the procedure" in rows["Fay"].reason.detail
    assert "not reached until" in rows["Fay"].reason.detail
    # A red-flag patient's plan is also stopped: said once, under the more urgent reason.
    assert [r.why for r in rows["Emma"].also] == ["Plan stopped"]


def test_a_planned_procedure_says_how_far_off_it_is(dr_cho):
    make_patient(
        "pia",
        "Pia",
        dr_cho,
        treatment="Laminectomy",
        procedure_date=local_today() + timedelta(days=9),
    )
    (row,) = clinician_triage(dr_cho).rows
    assert "procedure planned in 9 days" in row.reason.detail


def test_a_plan_that_starts_later_is_not_idle(dr_cho):
    person = patient("Nia", dr_cho)
    today = plan_services.patient_today(person)
    approve(person, start=today + timedelta(days=5), today=today)
    triage = clinician_triage(dr_cho)
    assert triage.rows == []
    assert triage.others[0].status.startswith("Plan starts")


def test_a_new_plan_with_no_session_yet_is_flagged_after_three_days(dr_cho):
    person = patient("Ned", dr_cho)
    running_plan(person, started=3)
    (row,) = clinician_triage(dr_cho).rows
    assert row.reason.why == "No session for 3 days"
    assert "since the plan started" in row.reason.detail


def test_the_page_shows_rows_with_links_acknowledge_buttons_and_add_a_patient(
    client, crafted, dr_cho
):
    client.force_login(dr_cho)
    html = client.get(reverse("clinic:triage")).content.decode()
    positions = [
        html.index(reverse("clinic:patient", args=[crafted[n].pk])) for n in EXPECTED_ORDER
    ]
    assert positions == sorted(positions)
    alert_ids = Alert.objects.filter(patient__clinician=dr_cho, acknowledged_at__isnull=True)
    for alert in alert_ids:
        assert reverse("clinic:alert_ack", args=[alert.pk]) in html
    assert html.count('name="csrfmiddlewaretoken"') >= 4  # three acknowledge forms and sign-out
    assert 'Acknowledge<span class="visually-hidden"> emergency alert for Emma Tester' in html
    assert 'Acknowledge<span class="visually-hidden"> same day alert for Sally Tester' in html
    for name in ("Rhea", "Fay"):
        assert reverse("clinic:clearance", args=[crafted[name].pk]) in html
    assert reverse("clinic:clearance", args=[crafted["Emma"].pk]) not in html
    assert (
        f'<a href="{reverse("clinic:patient", args=[crafted["Olga"].pk])}">Olga Tester</a>' in html
    )
    assert reverse("clinic:enrol") in html
    assert "Ben" not in html


def test_rows_link_where_reverse_does_and_name_people_as_everywhere(crafted, dr_cho):
    """Links are built once per page, not reversed per row; names follow `User.display_name`."""
    olga = crafted["Olga"].user
    olga.first_name = olga.last_name = ""
    olga.save()
    triage = clinician_triage(dr_cho)
    for row in triage.rows + triage.others:
        assert row.url == reverse("clinic:patient", args=[row.patient_id])
        assert row.name == User.objects.get(patient_profile=row.patient_id).display_name()
    assert triage.others[0].name == olga.username
    for row in triage.rows:
        for alert in row.alerts:
            assert alert.ack_url == reverse("clinic:alert_ack", args=[alert.pk])
        if row.tier == Tier.CLEARANCE:
            assert row.clearance_url == reverse("clinic:clearance", args=[row.patient_id])
        else:
            assert row.clearance_url == ""


def test_triage_reads_and_never_closes_weeks(client, dr_cho):
    person = patient("Lou", dr_cho)
    plan = running_plan(person, started=30)  # three closed weeks nobody has decided yet
    client.force_login(dr_cho)
    client.get(reverse("clinic:triage"))  # the first request after sign-in stores its clock
    cache.clear()  # draw the page again: one served from the page cache reads nothing at all
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("clinic:triage"))
    assert response.status_code == 200 and response.context is not None
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        or "FOR UPDATE" in q["sql"].upper()
    ]
    assert writes == []
    assert PlanWeek.objects.filter(plan=plan).count() == 1


# --- query budget: a fixed number of queries for 10 or 500 patients ------------------------------


def seed(clinician: User, count: int, prefix: str) -> None:
    """`count` patients in every state triage knows, inserted in bulk.

    By index modulo 6: 0 pending clearance; 1 on track; 2 held twice and idle; 3 reduced;
    4 stopped by a red flag with an open alert; 5 approved with no plan weeks closed yet.
    """
    esi = TreatmentType.objects.get(name="Epidural steroid injection")
    now = timezone.now()
    today = TODAY
    users = User.objects.bulk_create(
        User(
            username=f"{prefix}{i}",
            email=f"{prefix}{i}@example.org",
            first_name=f"P{i}",
            last_name=prefix,
            role=Role.PATIENT,
            password="!",
        )
        for i in range(count)
    )
    profiles = PatientProfile.objects.bulk_create(
        PatientProfile(user=user, clinician=clinician) for user in users
    )
    treatments = Treatment.objects.bulk_create(
        Treatment(patient=p, treatment_type=esi, procedure_date=today - timedelta(days=30))
        for p in profiles
    )
    rules = {
        "start_minutes": 15,
        "min_increment": 5,
        "max_increment": 10,
        "target_minutes": 45,
        "sessions_per_week": 3,
    }
    clearances = Clearance.objects.bulk_create(
        Clearance(patient=p, treatment=t)
        if i % 6 == 0
        else Clearance(
            patient=p,
            treatment=t,
            status=ClearanceStatus.APPROVED,
            decided_by=clinician,
            decided_at=now,
            start_date=today - timedelta(days=20),
            allowed_activities=["walking"],
            **rules,
        )
        for i, (p, t) in enumerate(zip(profiles, treatments, strict=True))
    )
    approved = [(i, c) for i, c in enumerate(clearances) if i % 6]
    plans = Plan.objects.bulk_create(
        Plan(
            patient_id=c.patient_id,
            clearance=c,
            start_date=today - timedelta(days=20),
            status=PlanStatus.PAUSED if i % 6 == 4 else PlanStatus.ACTIVE,
            allowed_activities=["walking"],
            **rules,
        )
        for i, c in approved
    )
    decisions = {
        1: ["start", "progress", "progress"],
        2: ["start", "hold", "hold"],
        3: ["start", "progress", "reduce"],
        4: ["start", "progress", "stop"],
        5: ["start"],
    }
    PlanWeek.objects.bulk_create(
        PlanWeek(plan=plan, week=k, minutes=15, sessions_per_week=3, decision=d, reason="Seeded.")
        for (i, _), plan in zip(approved, plans, strict=True)
        for k, d in enumerate(decisions[i % 6], start=1)
    )
    logs = SessionLog.objects.bulk_create(
        SessionLog(
            plan=plan,
            date=today - timedelta(days=5 if i % 6 == 2 else 1),
            week=3,
            activity="walking",
            minutes=15,
            red_flags=["fever"] if i % 6 == 4 else [],
            submission_token=uuid.uuid4(),
        )
        for (i, _), plan in zip(approved, plans, strict=True)
    )
    Alert.objects.bulk_create(
        Alert(
            plan=log.plan,
            patient_id=log.plan.patient_id,
            session_log=log,
            tier="same_day",
            flags=["fever"],
        )
        for log in logs
        if log.red_flags
    )


def test_a_500_patient_panel_sorts_into_its_tiers(dr_cho, dr_dev):
    """Drawing the page within its query budget, for 10 and for 500 patients, is pinned in
    tests/test_query_budgets.py (the page cache would answer a second request here)."""
    seed(dr_cho, 10, "small")
    seed(dr_dev, 500, "large")
    assert len(clinician_triage(dr_cho).rows) + len(clinician_triage(dr_cho).others) == 10
    triage = clinician_triage(dr_dev)
    assert len(triage.rows) + len(triage.others) == 500
    assert triage.count(Tier.RED_FLAG) == 83  # indexes 4, 10, ..., 496
    assert triage.count(Tier.CLEARANCE) == 84  # indexes 0, 6, ..., 498
    assert triage.count(Tier.EASED_BACK) == 83  # reduced
    assert triage.count(Tier.ENGAGEMENT) == 83  # held twice, idle five days
