"""Triage: who needs the clinician first, in a fixed number of queries."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
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
from tests.support import patients_today

pytestmark = pytest.mark.django_db


TODAY = date.today()


def patient(name: str, clinician: User, *, treatment="Epidural steroid injection", days_ago=30):
    return make_patient(
        name.lower(),
        name,
        clinician,
        treatment=treatment,
        procedure_date=patients_today() - timedelta(days=days_ago),
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
        plan_services.alert_acknowledge(
            alert=alert, actor=person.clinician, outcome="spoke_advised"
        )
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
        Tier.URGENT,
        Tier.URGENT,
        Tier.URGENT,
        Tier.REVIEW,
        Tier.REVIEW,
        Tier.ENGAGEMENT,
        Tier.ENGAGEMENT,
        Tier.ENGAGEMENT,
        Tier.CLEARANCE,
        Tier.CLEARANCE,
    ]
    assert first_names(triage.others) == ["Olga"]
    assert triage.counts == [
        (Tier.URGENT, 3),
        (Tier.REVIEW, 2),
        (Tier.ENGAGEMENT, 3),
        (Tier.CLEARANCE, 2),
    ]


def test_each_row_says_why_in_a_few_words(crafted, dr_cho):
    rows = {row.name.split()[0]: row for row in clinician_triage(dr_cho).rows}
    assert rows["Emma"].reason.why == "Emergency warning sign"
    assert "New loss of control of your bladder or bowels" in rows["Emma"].reason.detail
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
        procedure_date=patients_today() + timedelta(days=9),
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
        assert reverse("clinic:alert_close", args=[alert.pk]) in html
    assert (
        'Close alert<span class="visually-hidden">: emergency warning sign alert for Emma Tester'
        in html
    )
    assert (
        'Close alert<span class="visually-hidden">: same day warning sign alert for Sally Tester'
        in html
    )
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
            assert alert.close_url == reverse("clinic:alert_close", args=[alert.pk])
        if row.tier == Tier.CLEARANCE:
            assert row.clearance_url == reverse("clinic:clearance", args=[row.patient_id])
        else:
            assert row.clearance_url == ""


def test_everyone_else_without_an_open_plan_reads_their_latest_clearance(client, dr_cho, ben):
    """A patient with no open plan is said by the status of their latest clearance request (by
    request time, then the later one of two made at once)."""
    people = {name: patient(name, dr_cho) for name in ("Dora", "Rex", "Nell", "Otto", "Dee", "Tia")}
    Clearance.objects.filter(patient=people["Dora"]).update(status=ClearanceStatus.DECLINED)
    Clearance.objects.filter(patient=people["Rex"]).update(status=ClearanceStatus.REVOKED)
    # Nell's request is moved to another clinician's patient (its history cannot be deleted).
    Clearance.objects.filter(patient=people["Nell"]).update(
        patient=ben, status=ClearanceStatus.DECLINED
    )
    Plan.objects.filter(pk=running_plan(people["Otto"], started=9).pk).update(
        status=PlanStatus.COMPLETED
    )
    now = timezone.now()
    for name, older, newer, same_time in (
        ("Dee", ClearanceStatus.REVOKED, ClearanceStatus.DECLINED, False),
        ("Tia", ClearanceStatus.DECLINED, ClearanceStatus.REVOKED, True),
    ):
        first = Clearance.objects.get(patient=people[name])
        Clearance.objects.filter(pk=first.pk).update(status=older, requested_at=now)
        second = Clearance.objects.create(
            patient=people[name], treatment=first.treatment, status=newer
        )
        later = now if same_time else now - timedelta(days=3)
        Clearance.objects.filter(pk=second.pk).update(requested_at=later)
    expected = {
        "Dora": "Clearance declined",
        "Rex": "Clearance revoked",
        "Nell": "No clearance request",
        "Otto": "No open plan",
        "Dee": "Clearance revoked",  # the newer request was made first
        "Tia": "Clearance revoked",
    }
    triage = clinician_triage(dr_cho)
    assert triage.rows == []
    assert {row.name.split()[0]: row.status for row in triage.others} == expected
    client.force_login(dr_cho)
    html = client.get(reverse("clinic:triage")).content.decode()
    for name, words in expected.items():
        assert f"{name} Tester</a></th><td>{words}</td>" in html


def test_triage_reads_and_never_closes_weeks(client, dr_cho):
    person = patient("Lou", dr_cho)
    plan = running_plan(person, started=30)  # three closed weeks nobody has decided yet
    client.force_login(dr_cho)
    client.get(reverse("clinic:triage"))  # the first request after sign-in stores its clock
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("clinic:triage"))
    assert response.status_code == 200
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
    tests/test_query_budgets.py."""
    seed(dr_cho, 10, "small")
    seed(dr_dev, 500, "large")
    assert len(clinician_triage(dr_cho).rows) + len(clinician_triage(dr_cho).others) == 10
    triage = clinician_triage(dr_dev)
    assert len(triage.rows) + len(triage.others) == 500
    assert triage.count(Tier.URGENT) == 83  # indexes 4, 10, ..., 496
    assert triage.count(Tier.CLEARANCE) == 84  # indexes 0, 6, ..., 498
    assert triage.count(Tier.REVIEW) == 83  # reduced
    assert triage.count(Tier.ENGAGEMENT) == 83  # held twice, idle five days


# --- version 2: severe pain, red sessions the moment they are logged, reviews -------------------


def log(person: PatientProfile, *, days_ago: int = 0, **pain):
    """A session through the service, as the log form sends it (pain before and after)."""
    fields = {"pain_before": 1, "pain": 2, "pain_duration": "within_2h"}
    fields.update(pain)
    today = plan_services.patient_today(person)
    return plan_services.session_log_create(
        patient=person,
        day=today - timedelta(days=days_ago),
        activity="walking",
        minutes=15,
        **fields,
    )


def when(person: PatientProfile, days_ago: int) -> str:
    day = plan_services.patient_today(person) - timedelta(days=days_ago)
    return "today" if days_ago == 0 else f"on {day:%A}"


def row_of(clinician: User, person: PatientProfile):
    (row,) = [r for r in clinician_triage(clinician).rows if r.patient_id == person.pk]
    return row


def test_a_severe_session_is_in_tier_1_at_once_and_the_plan_keeps_running(dr_cho):
    sam = patient("Sam", dr_cho)
    plan = running_plan(sam, started=4)
    logged = log(sam, days_ago=2, pain_before=3, pain=9, pain_duration="within_2h")
    assert logged.alert is not None and logged.alert.kind == "severe_pain"

    row = row_of(dr_cho, sam)
    assert row.tier == Tier.URGENT
    assert row.reason.why == f"Severe pain (9/10) {when(sam, 2)}"
    assert [(a.kind, a.tier) for a in row.alerts] == [("severe_pain", "same_day")]
    # The red session itself waits in tier 2 for when the alert is acknowledged.
    assert row.also_text == f"pain rose from 3 to 9 {when(sam, 2)}"
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE

    plan_services.alert_acknowledge(alert=logged.alert, actor=dr_cho, outcome="spoke_advised")
    row = row_of(dr_cho, sam)
    assert (row.tier, row.reason.why) == (Tier.REVIEW, f"Pain rose from 3 to 9 {when(sam, 2)}")
    assert row.alerts == []


def test_severe_pain_that_lasted_into_the_next_day_says_so(dr_cho):
    sam = patient("Sam", dr_cho)
    running_plan(sam, started=4)
    log(sam, pain_before=6, pain=8, pain_duration="next_day")
    assert row_of(dr_cho, sam).reason.why == "Severe pain (8/10, still there the next day) today"


@pytest.mark.parametrize(
    ("pain", "words"),
    [
        (
            {"pain_before": 5, "pain": 8, "pain_duration": "later"},
            "Pain 8/10 lasting more than 2 hours",
        ),
        ({"pain_before": 2, "pain": 3, "sharp_pain": True}, "Sharp pain 3/10"),
        ({"pain_before": 2, "pain": 6}, "Pain rose from 2 to 6"),
        ({"pain_before": 5, "pain": 7}, "Pain 7/10"),
    ],
)
def test_a_red_session_is_in_tier_2_the_moment_it_is_logged(dr_cho, pain, words):
    """Not a week later, when its week closes: the week it is in is still open."""
    rae = patient("Rae", dr_cho)
    plan = running_plan(rae, started=4)
    logged = log(rae, days_ago=1, **pain)
    assert logged.alert is None
    assert list(PlanWeek.objects.filter(plan=plan).values_list("week", flat=True)) == [1]

    row = row_of(dr_cho, rae)
    assert row.tier == Tier.REVIEW
    assert row.reason.why == f"{words} {when(rae, 1)}"
    assert row.reason.detail == (
        "Walking, 15 min (week 1). Going too fast: next week is reduced when this one closes."
    )


def test_a_red_session_of_a_week_that_has_closed_names_the_week_it_reduced(dr_cho):
    rae = patient("Rae", dr_cho)
    running_plan(rae, started=8)  # today is in week 2
    log(rae, days_ago=2, pain_before=1, pain=8)  # in week 1, logged late
    row = row_of(dr_cho, rae)
    assert row.reason.detail == "Walking, 15 min (week 1). Going too fast: week 2 is reduced."


def test_comfortable_and_in_between_sessions_are_not_listed(dr_cho):
    amy = patient("Amy", dr_cho)
    running_plan(amy, started=4)
    log(amy, pain_before=4, pain=5)  # amber
    log(amy, days_ago=1, pain_before=1, pain=2)  # green
    triage = clinician_triage(dr_cho)
    assert triage.rows == []
    assert [o.name for o in triage.others] == ["Amy Tester"]


@pytest.mark.parametrize(("days_ago", "listed"), [(6, True), (7, False)])
def test_a_red_session_is_listed_for_seven_days(dr_cho, days_ago, listed):
    """By then its week has closed and the reduction it caused speaks for it."""
    old = patient("Old", dr_cho)
    plan = running_plan(old, started=20, sessions=[1])  # a session yesterday: not idle
    day = plan_services.patient_today(old) - timedelta(days=days_ago)
    SessionLog.objects.create(
        plan=plan, date=day, week=plan.week_of(day), activity="walking", minutes=15, pain=8
    )
    rows = clinician_triage(dr_cho).rows
    assert [row.reason.why for row in rows] == ([f"Pain 8/10 on {day:%A}"] if listed else [])


def planned_weeks(person: PatientProfile, weeks, *, started: int) -> Plan:
    """A plan whose weeks 2.. are (minutes, decision, review)."""
    plan = running_plan(person, started=started, sessions=[1])
    for week, (minutes, decision, review) in enumerate(weeks, start=2):
        PlanWeek.objects.create(
            plan=plan,
            week=week,
            minutes=minutes,
            sessions_per_week=3,
            decision=decision,
            review=review,
            reason="Crafted, in the second person for the patient.",
        )
    return plan


@pytest.mark.parametrize(
    ("weeks", "why", "detail"),
    [
        (
            [(10, "reduce", ""), (10, "reduce", "repeated_pain")],
            "Reduced twice in a row: pain again in week 2",
            "Week 3: 10 min per session.",
        ),
        (
            [(10, "hold", ""), (10, "reduce", "repeated_pain")],
            "Pain again at the lowest level (10 minutes) in week 2",
            "Week 3: 10 min per session.",
        ),
        (
            [(20, "progress", ""), (20, "hold", "overdoing")],
            "Did more than planned in week 2 (overdoing)",
            "Held at 20 min per session for week 3.",
        ),
        (
            [(20, "hold", ""), (15, "return", "")],
            "No sessions for two weeks: restarted at 15 minutes",
            "Weeks 1 and 2 had no session. Week 3: 15 min per session.",
        ),
        (
            [(20, "progress", ""), (15, "reduce", "severe_pain")],
            "Severe pain in week 2: reduced to 15 minutes",
            "Week 3: 15 min per session.",
        ),
    ],
)
def test_reviews_and_a_return_are_in_tier_2_in_words(dr_cho, weeks, why, detail):
    rex = patient("Rex", dr_cho)
    planned_weeks(rex, weeks, started=16)
    row = row_of(dr_cho, rex)
    assert (row.tier, row.reason.why, row.reason.detail) == (Tier.REVIEW, why, detail)
    assert "second person" not in row.reason.detail  # the patient's sentence is not the reason


def test_tier_2_puts_repeated_pain_before_a_red_session_before_overdoing_before_a_reduction(
    dr_cho,
):
    planned_weeks(patient("Ada", dr_cho), [(10, "reduce", "")], started=9)
    planned_weeks(patient("Bea", dr_cho), [(15, "hold", "overdoing")], started=9)
    rae = patient("Rae", dr_cho)
    running_plan(rae, started=4)
    log(rae, pain_before=1, pain=8)
    planned_weeks(
        patient("Cy", dr_cho), [(10, "reduce", ""), (10, "reduce", "repeated_pain")], started=16
    )
    assert first_names(clinician_triage(dr_cho).rows) == ["Cy", "Rae", "Bea", "Ada"]


def test_the_engine_writes_what_triage_reads(dr_cho):
    """Real weeks closed by the service: a red week cuts max(min increment, 5 × ceil(p / 25))
    (15 → 10), and a second red week at 10 minutes is flagged as repeated pain."""
    rob = patient("Rob", dr_cho)
    today = plan_services.patient_today(rob)
    start = today - timedelta(days=15)  # week 3; week 2's last session 8 days ago
    plan = approve(rob, start=start, today=start)
    for day in (start + timedelta(days=1), start + timedelta(days=7)):
        SessionLog.objects.create(
            plan=plan,
            date=day,
            week=plan.week_of(day),
            activity="walking",
            minutes=15,
            pain_before=1,
            pain=7,
            pain_duration="within_2h",
            pain_lasted_hours=1,
        )
    plan_services.plan_close_weeks(plan=plan, today=today)
    weeks = list(PlanWeek.objects.filter(plan=plan).values_list("week", "minutes", "decision"))
    assert weeks == [(1, 15, "start"), (2, 10, "reduce"), (3, 10, "reduce")]
    row = row_of(dr_cho, rob)
    assert row.reason.why == "Reduced twice in a row: pain again in week 2"


def test_a_symptom_report_of_a_patient_waiting_for_clearance_is_in_tier_1(dr_cho, dr_dev):
    """No plan, no session: the alert still reaches the top of the list."""
    wes = patient("Wes", dr_cho)
    _, alert = plan_services.symptom_report_create(patient=wes, red_flags=["chest_breathing"])
    assert alert.plan is None
    row = row_of(dr_cho, wes)
    assert (row.tier, row.reason.why) == (Tier.URGENT, "Emergency warning sign")
    assert row.reason.detail == "Chest pain, sudden shortness of breath or coughing up blood"
    assert [r.why for r in row.also] == ["Ready for a clearance decision"]
    assert [a.close_url for a in row.alerts] == [reverse("clinic:alert_close", args=[alert.pk])]
    assert clinician_triage(dr_dev).rows == []  # another clinician never sees it


def test_severe_pain_reported_without_a_session_is_in_tier_1(dr_cho):
    pia = patient("Pia", dr_cho)
    running_plan(pia, started=4)
    _, alert = plan_services.symptom_report_create(patient=pia, pain_now=9)
    assert alert.kind == "severe_pain"
    row = row_of(dr_cho, pia)
    assert (row.tier, row.reason.why) == (Tier.URGENT, "Severe pain (9/10) today")


def test_the_page_names_a_severe_pain_alert_and_its_button(client, dr_cho):
    sam = patient("Sam", dr_cho)
    running_plan(sam, started=4)
    log(sam, pain_before=2, pain=9)
    client.force_login(dr_cho)
    html = client.get(reverse("clinic:triage")).content.decode()
    assert "Needs you now" in html
    assert "Severe pain (9/10) today" in html
    assert 'Close alert<span class="visually-hidden">: same day severe pain alert for Sam' in html


# --- a fixed number of queries whatever the panel ------------------------------------------------

# clinician_triage itself: people, alerts (open and closed today), open plans (with their red
# sessions), outcomes worse than baseline (settings.TRIAGE_REASONS), pending clearances (and the
# latest request of a patient with no open plan).
TRIAGE_QUERIES = 5
# Around it, drawing the page after the cache was emptied: the session, the user and the panel's
# revision.


def varied_panel(clinician: User, count: int) -> None:
    """`count` patients through the services, cycling through everything triage reads: a
    severe session, a red session, a symptom report without a plan, a review week, a warning
    sign, a pending clearance, a comfortable session."""
    for n in range(count):
        person = patient(f"V{n:02d}", clinician)
        kind = n % 7
        if kind == 2:
            plan_services.symptom_report_create(patient=person, red_flags=["fever"])
            continue
        if kind == 5:
            continue  # waiting for clearance
        running_plan(person, started=9, decisions=["hold"] if kind == 3 else ())
        if kind == 0:
            log(person, pain_before=2, pain=9)
        elif kind == 1:
            log(person, pain_before=2, pain=8, pain_duration="later")
        elif kind == 3:
            PlanWeek.objects.filter(plan__patient=person, week=2).update(review="overdoing")
        elif kind == 4:
            log(person, red_flags=["calf_pain"])
        else:
            log(person)


@pytest.mark.parametrize("count", [1, 30])
def test_triage_queries_do_not_grow_with_the_panel(dr_cho, count, django_assert_num_queries):
    varied_panel(dr_cho, count)
    with django_assert_num_queries(TRIAGE_QUERIES):
        triage = clinician_triage(dr_cho)
    assert len(triage.rows) + len(triage.others) == count
    if count == 30:
        assert triage.count(Tier.URGENT) == 5 + 4 + 4  # severe, symptom report, warning sign
        assert triage.count(Tier.REVIEW) == 5 + 4  # red session, overdoing


@pytest.mark.parametrize("count", [1, 6])
def test_alerts_closed_today_cost_one_query_however_many(dr_cho, count, django_assert_num_queries):
    for n in range(count):
        person = patient(f"C{n}", dr_cho)
        running_plan(person, started=9)
        alert = log(person, red_flags=["fever"]).alert
        plan_services.alert_acknowledge(
            alert=alert, actor=dr_cho, outcome="no_answer", note=f"Left a message {n}."
        )
    with django_assert_num_queries(TRIAGE_QUERIES):
        triage = clinician_triage(dr_cho)
    assert [c.note for c in triage.closed_today] == [
        f"Left a message {n}." for n in reversed(range(count))
    ]
    assert {c.outcome_words for c in triage.closed_today} == {"Called, no answer: left a message"}


@pytest.mark.parametrize("count", [1, 30])
def test_the_triage_page_costs_the_same_for_1_or_30(
    client, dr_cho, count, django_assert_num_queries
):
    varied_panel(dr_cho, count)
    client.force_login(dr_cho)
    client.get(reverse("clinic:triage"))  # the first request after sign-in stores its clock
    with django_assert_num_queries(TRIAGE_QUERIES + 2):  # and the session and the user
        response = client.get(reverse("clinic:triage"))
    assert response.status_code == 200


def test_the_triage_shows_a_new_symptom_report_and_a_follow_up_at_once(client, dr_cho):
    wes = patient("Wes", dr_cho)
    sam = patient("Sam", dr_cho)
    running_plan(sam, started=4)
    logged = log(sam, days_ago=1, pain_before=4, pain=8, pain_duration="not_settled")
    client.force_login(dr_cho)
    url = reverse("clinic:triage")
    client.get(url)
    first = client.get(url)
    assert "Pain rose from 4 to 8" in first.content.decode()

    plan_services.symptom_report_create(patient=wes, red_flags=["fainting"])
    plan_services.session_pain_follow_up(patient=sam, log_id=logged.log.pk, settled="next_day")
    html = client.get(url).content.decode()
    assert "Fainting or nearly fainting" in html
    assert f"Severe pain (8/10, still there the next day) {when(sam, 1)}" in html
