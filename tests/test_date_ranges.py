"""Every date has a sane range (issue 16, finding 2): at the form, the service and the database.

Enrolling with procedure date 9999-12-31 ("planned" ticked) and approving a plan that starts on
9999-12-25 were accepted, and from then on the clinician's triage, the patient record and the
clearance page answered 500 (`OverflowError: date value out of range`). Now the forms and
services hold bounds relative to today (a procedure within five years back and a year ahead; a
plan start from today to four weeks ahead; a session within its plan and not in the future), the
database holds absolute ones (2000-01-01 to 2100-12-31), and the migrations clamp rows stored
before.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from plans import services as plan_services
from plans.models import Plan, SessionLog
from recovery import services as recovery_services
from recovery.errors import DomainError
from recovery.models import (
    DATE_CEILING,
    DATE_FLOOR,
    AuditEvent,
    Clearance,
    Treatment,
    TreatmentType,
)
from tests.conftest import MODEL_BACKEND, approve
from tests.support import FUZZ, iso, sign_in_to_admin

pytestmark = pytest.mark.django_db


def extreme_dates(today: date) -> st.SearchStrategy[str]:
    """Year 1, year 9999, today +/- 10 years and everything near the bounds, and strings that
    are not dates at all."""
    edges = [
        date.min,
        date.max,
        date(9999, 12, 25),
        today.replace(year=today.year - 10),
        today.replace(year=today.year + 10),
        DATE_FLOOR - timedelta(days=1),
        DATE_CEILING + timedelta(days=1),
        today,
    ]
    return st.one_of(
        st.sampled_from(edges).map(iso),
        st.dates().map(iso),
        st.dates(today - timedelta(days=3700), today + timedelta(days=3700)).map(iso),
        st.sampled_from(
            ["0000-01-01", "10000-01-01", "2024-02-30", "-0001-01-01", "9999-99-99", "", "x"]
        ),
        st.text(max_size=12),
    )


def pages_answer(client, patient) -> None:
    """The clinician's pages that added days to a stored date answer."""
    for url in (
        "/clinic/",
        f"/clinic/patients/{patient.pk}/",
        f"/clinic/patients/{patient.pk}/clearance/",
    ):
        assert client.get(url).status_code == 200, url


def stored_dates_are_sane() -> None:
    """Nothing outside the absolute bounds reached the database."""
    for model, field in (
        (Treatment, "procedure_date"),
        (Clearance, "start_date"),
        (Plan, "start_date"),
        (SessionLog, "date"),
    ):
        wild = model.objects.exclude(**{f"{field}__range": (DATE_FLOOR, DATE_CEILING)})
        assert not wild.exclude(**{f"{field}__isnull": True}).exists(), (model, field)


# --- the examples ----------------------------------------------------------------------


def enrol_data(procedure: str, **extra) -> dict:
    return {
        "first_name": "Cara",
        "last_name": "Newman",
        "email": "cara@example.org",
        "treatment_type": str(TreatmentType.objects.get(name="Lumbar fusion").pk),
        "procedure_date": procedure,
        "planned": "on",
        "timezone": "America/New_York",
        "date_of_birth": "1961-04-23",
        "phone": "(555) 010-2030",
        **extra,
    }


def test_a_planned_procedure_in_year_9999_is_a_field_error(cho_client, ana):
    response = cho_client.post("/clinic/patients/new/", enrol_data("9999-12-31"))
    assert response.status_code == 400
    assert "procedure_date" in response.context["form"].errors
    assert not Treatment.objects.filter(patient__user__email="cara@example.org").exists()
    pages_answer(cho_client, ana)


def test_the_enrol_service_refuses_it_too(dr_cho):
    today = date.today()
    for day in (
        date(9999, 12, 31),
        date.min,
        today + timedelta(days=400),
        today.replace(year=today.year - 6),
    ):
        with pytest.raises(DomainError) as info:
            plan_services.patient_enrol(
                clinician=dr_cho,
                first_name="Cara",
                last_name="Newman",
                email="cara@example.org",
                treatment_type=TreatmentType.objects.get(name="Lumbar fusion"),
                procedure_date=day,
                planned=True,
                today=today,
            )
        assert info.value.field == "procedure_date"
    assert not Treatment.objects.exists()


def approve_data(start: str) -> dict:
    return {
        "action": "approve",
        "approve-start_date": start,
        "approve-max_stage": "2",
        "approve-allowed_activities": ["walking"],
        "approve-start_minutes": "10",
        "approve-min_increment": "5",
        "approve-max_increment": "10",
        "approve-target_minutes": "40",
        "approve-sessions_per_week": "3",
        "approve-override_reason": "Healing well; reviewed in clinic today.",
    }


def test_a_plan_start_in_year_9999_is_a_field_error(cho_client, ana):
    url = f"/clinic/patients/{ana.pk}/clearance/"
    response = cho_client.post(url, approve_data("9999-12-25"))
    assert response.status_code == 400
    assert "start_date" in response.context["forms"]["approve"].errors
    assert not Plan.objects.filter(patient=ana).exists()
    pages_answer(cho_client, ana)


def test_the_approve_service_refuses_it_too(ana):
    today = plan_services.patient_today(ana)
    for start in (date(9999, 12, 25), today + timedelta(days=29), today - timedelta(days=1)):
        with pytest.raises(DomainError) as info:
            approve(ana, start=start, today=today)
        assert info.value.field == "start_date"
    assert approve(
        ana, start=today + timedelta(days=28), today=today
    ).start_date == today + timedelta(days=28)


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Treatment, "procedure_date"),
        (Clearance, "start_date"),
        (Plan, "start_date"),
        (SessionLog, "date"),
    ],
)
@pytest.mark.parametrize("wild", [date(9999, 12, 25), date(1, 1, 1)], ids=["9999", "0001"])
def test_the_database_refuses_a_wild_date_from_any_writer(ana_plan, model, field, wild):
    plan_services.session_log_create(
        patient=ana_plan.patient,
        day=plan_services.patient_today(ana_plan.patient),
        activity="walking",
        minutes=10,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.update(**{field: wild})


def test_date_arithmetic_cannot_overflow_within_the_bounds():
    """The largest sums the code makes on a stored date: the earliest clearance (a small-integer
    count of days) and a plan's week bounds (a small-integer week number)."""
    from recovery.models import earliest_clearance_date

    limit = 32767  # PositiveSmallIntegerField
    assert earliest_clearance_date(DATE_CEILING, limit) < date.max
    plan = Plan(start_date=DATE_CEILING)
    assert plan.week_bounds(limit)[1] < date.max
    plan = Plan(start_date=DATE_FLOOR)
    assert plan.week_of(date.today()) > 0


# --- rows stored before: the migrations repair them ----------------------------------------------


@pytest.mark.usefixtures("postgres")
def test_the_migrations_clamp_wild_rows_so_pages_answer_again(
    cho_client, ana, ben_plan, dr_dev, client
):
    """Rows stored before the constraints (drop them to store what the old code stored), then the
    repair the migrations run: the pages that failed answer, and each repair is audited."""
    from tests.conftest import approve as approve_plan

    plan = approve_plan(ana, start=plan_services.patient_today(ana))
    constraints = [
        (Treatment, "treatment_procedure_date_range"),
        (Clearance, "clearance_start_date_range"),
        (Plan, "plan_start_date_range"),
    ]
    with connection.cursor() as cursor:  # PostgreSQL alters no table with trigger events pending
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        for model, name in constraints:
            editor.remove_constraint(
                model, next(c for c in model._meta.constraints if c.name == name)
            )
    Treatment.objects.filter(patient=ana).update(procedure_date=date(9999, 12, 31))
    Plan.objects.filter(pk=plan.pk).update(start_date=date(9999, 12, 25))
    Clearance.objects.filter(patient=ana).update(start_date=date(9999, 12, 25))
    with pytest.raises(OverflowError):
        cho_client.get(f"/clinic/patients/{ana.pk}/")  # what the issue saw (a 500)

    with connection.schema_editor() as editor:
        import_module("recovery.migrations.0005_date_ranges").repair(apps, editor)
        import_module("plans.migrations.0008_date_ranges").repair(apps, editor)
        for model, name in constraints:
            editor.add_constraint(model, next(c for c in model._meta.constraints if c.name == name))

    assert Treatment.objects.get(patient=ana).procedure_date == DATE_CEILING
    assert Plan.objects.get(pk=plan.pk).start_date == DATE_CEILING
    assert Clearance.objects.get(patient=ana).start_date == DATE_CEILING
    repairs = AuditEvent.objects.filter(action="date_repaired", patient=ana)
    assert sorted(r.detail["field"] for r in repairs) == [
        "procedure_date",
        "start_date",
        "start_date",
    ]
    assert {r.detail["before"] for r in repairs} == {"9999-12-31", "9999-12-25"}
    pages_answer(cho_client, ana)
    # The clinician can put the plan right from the app: pause, then resume (restarts today).
    plan_services.plan_pause(plan=plan, actor=ana.clinician, reason="Start date was mistyped.")
    new = plan_services.plan_resume(
        plan=plan, actor=ana.clinician, start_minutes=10, today=plan_services.patient_today(ana)
    )
    assert new.start_date == plan_services.patient_today(ana)
    # Other patients' rows were left alone.
    assert Plan.objects.get(pk=ben_plan.pk).start_date == ben_plan.start_date


# --- every date field of every form, with extreme values ---------------------------------------


def test_enrol_form_dates(cho_client, dr_cho):
    today = date.today()
    seen = {"accepted": 0, "refused": 0}

    @FUZZ
    @given(day=extreme_dates(today), planned=st.booleans())
    def run(day: str, planned: bool) -> None:
        with transaction.atomic():
            cache.clear()  # each example is judged on its own, not on the rate limit
            data = enrol_data(day, **({"planned": "on"} if planned else {}))
            if not planned:
                data.pop("planned")
            response = cho_client.post("/clinic/patients/new/", data)
            assert response.status_code in (302, 400), (day, response.status_code)
            stored_dates_are_sane()
            if response.status_code == 302:
                seen["accepted"] += 1
                stored = Treatment.objects.get(patient__user__email="cara@example.org")
                assert (
                    -recovery_services.PROCEDURE_DAYS_BACK - 1
                    <= (stored.procedure_date - today).days
                    <= recovery_services.PROCEDURE_DAYS_AHEAD + 1
                )
                pages_answer(cho_client, stored.patient)
            else:
                seen["refused"] += 1
                assert response.context["form"].errors
            transaction.set_rollback(True)

    run()
    assert seen["accepted"] and seen["refused"], seen


def test_approve_form_dates(cho_client, ana):
    today = plan_services.patient_today(ana)
    url = f"/clinic/patients/{ana.pk}/clearance/"
    seen = {"accepted": 0, "refused": 0}

    @FUZZ
    @given(
        day=st.one_of(extreme_dates(today), st.dates(today, today + timedelta(days=40)).map(iso))
    )
    def run(day: str) -> None:
        with transaction.atomic():
            cache.clear()  # each example is judged on its own, not on the rate limit
            response = cho_client.post(url, approve_data(day))
            assert response.status_code in (302, 400), (day, response.status_code)
            stored_dates_are_sane()
            plan = Plan.objects.filter(patient=ana).first()
            if response.status_code == 302 and plan is not None:
                seen["accepted"] += 1
                assert 0 <= (plan.start_date - today).days <= plan_services.PLAN_START_DAYS_AHEAD
                pages_answer(cho_client, ana)
            else:
                seen["refused"] += 1
                assert plan is None
            transaction.set_rollback(True)

    run()
    assert seen["accepted"] and seen["refused"], seen


def test_session_form_dates(client, ana_plan):
    client.force_login(ana_plan.patient.user, backend=MODEL_BACKEND)
    today = plan_services.patient_today(ana_plan.patient)
    seen = {"accepted": 0, "refused": 0}

    @FUZZ
    @given(day=st.one_of(extreme_dates(today), st.dates(ana_plan.start_date, today).map(iso)))
    def run(day: str) -> None:
        with transaction.atomic():
            cache.clear()  # each example is judged on its own, not on the rate limit
            response = client.post(
                "/me/sessions/new/",
                {
                    "date": day,
                    "activity": "walking",
                    "minutes": "20",
                    "pain_before": "1",
                    "pain": "2",
                    "pain_duration": "within_2h",
                    "no_red_flags": "on",
                    "submission_token": str(uuid.uuid4()),
                },
            )
            assert response.status_code in (200, 302, 400), (day, response.status_code)
            stored_dates_are_sane()
            logs = SessionLog.objects.filter(plan=ana_plan)
            if response.status_code == 302:
                seen["accepted"] += 1
                assert all(ana_plan.start_date <= log.date <= today for log in logs)
                assert client.get("/me/").status_code == 200
            else:
                seen["refused"] += 1
                assert not logs.exists()
            transaction.set_rollback(True)

    run()
    assert seen["accepted"] and seen["refused"], seen


# Django's date_hierarchy adds a day, 32 days or a year to the date in the address; year 9999
# overflowed as a 500 until every admin changelist treated it as a bad lookup
# (recovery.two_factor.safe_dates).
@pytest.mark.parametrize(
    ("url", "year"),
    [
        (url, year)
        for url in [
            "/admin/recovery/treatment/?procedure_date__year={y}&procedure_date__month=12"
            "&procedure_date__day=31",
            "/admin/plans/plan/?start_date__year={y}&start_date__month=12&start_date__day=31",
            "/admin/plans/plan/?start_date__year={y}&start_date__month=12",
            "/admin/plans/sessionlog/?date__year={y}&date__month=12&date__day=31",
            "/admin/plans/sessionlog/?date__year={y}",
            "/admin/plans/sessionlog/?date__gte={y}-12-31",
            "/admin/recovery/clearance/?start_date__lte={y}-01-01",
        ]
        for year in ["9999", "0001", "1", "10000", "x"]
    ],
)
def test_admin_date_filters_never_fail(client, root, ana_plan, url, year):
    """The admin's clinical rows are read-only (no date is typed into an admin form); their date
    filters take any value in the address and answer a page or a redirect, never a 500."""

    sign_in_to_admin(client, root)
    assert client.get(url.format(y="2026")).status_code == 200  # signed in for real
    response = client.get(url.format(y=year))
    assert response.status_code in (200, 302, 400), response.status_code
