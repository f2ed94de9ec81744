"""`recovery.access.own_patient_filter`: `own_patients` as a condition in the profile join, which
the patient's plan queries use (a subquery there cost more to plan than the statement to run)."""

from __future__ import annotations

import pytest

from plans import selectors
from plans.models import Plan, SessionLog
from plans.services import session_log_create
from recovery.access import own_patient_filter, own_patients

pytestmark = pytest.mark.django_db


def test_a_patient_selects_their_own_rows_only(ana, ana_plan, ben, ben_plan):
    assert list(Plan.objects.filter(own_patient_filter(ana.user))) == [ana_plan]
    assert list(Plan.objects.filter(own_patient_filter(ben.user))) == [ben_plan]
    # The same rows as the subquery the other callers use.
    assert list(Plan.objects.filter(own_patient_filter(ana.user))) == list(
        Plan.objects.filter(patient__in=own_patients(ana.user))
    )


def test_anyone_else_selects_nothing_without_a_query(ana_plan, dr_cho, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert list(Plan.objects.filter(own_patient_filter(dr_cho))) == []


def test_the_relation_to_the_patient_can_be_named(ana, ana_plan, ben_plan):
    logged = session_log_create(
        patient=ana, day=ana_plan.start_date, activity="walking", minutes=10
    )
    mine = SessionLog.objects.filter(own_patient_filter(ana.user, "plan__patient"))
    assert list(mine) == [logged.log]


def test_the_open_plan_is_found_from_the_user(ana, ana_plan, ben_plan, dr_cho):
    plan = selectors.own_open_plan(ana.user)
    assert plan == ana_plan
    assert plan.patient == ana
    assert selectors.own_open_plan(ana.user, joined=False) == ana_plan
    assert selectors.own_open_plan(dr_cho) is None
