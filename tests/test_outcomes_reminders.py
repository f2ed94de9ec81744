"""The weekly reminder says a short questionnaire is waiting (DESIGN section 8), and nothing
more: no instrument, no question, no score. One query per send batch, whatever its size."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from outcomes import services
from outcomes.notices import WAITING, questionnaire_waiting
from recovery.models import Clearance
from tests.support import START, at, enrol

pytestmark = pytest.mark.django_db


def run(now) -> None:
    call_command("send_due_reminders", "--now", now.isoformat(), stdout=StringIO())


def waiting_from_start(plan) -> None:
    """Clearance approved the evening before the plan's first day: baseline open on it."""
    Clearance.objects.filter(pk=plan.clearance_id).update(decided_at=at(START, 8))
    services.questionnaires_schedule(now=at(START, 8, 30))


def test_the_reminder_says_a_questionnaire_is_waiting_without_health_detail(dr_cho):
    ana_plan = enrol("ana", dr_cho, first="Ana")
    enrol("ben", dr_cho, first="Ben")
    waiting_from_start(ana_plan)
    Clearance.objects.exclude(pk=ana_plan.clearance_id).update(decided_at=at(START, 8))
    run(at(START, 9))
    by_name = {message.to[0].split("@")[0]: message for message in mail.outbox}
    ana, ben = by_name["ana"], by_name["ben"]
    for part in (ana.body, ana.alternatives[0][0]):
        assert str(WAITING) in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", part))
    for part in (ben.body, ben.alternatives[0][0]):
        assert "questionnaire" not in part
    for word in ("pain", "PSFS", "PGIC", "activities", "Average", "baseline"):
        assert word not in ana.subject + ana.body + ana.alternatives[0][0], word


def test_waiting_follows_the_patients_calendar_in_one_query(dr_cho, django_assert_num_queries):
    plans = [enrol(name, dr_cho) for name in ("ana", "ben", "cai")]
    waiting_from_start(plans[0])
    ids = [plan.patient_id for plan in plans]
    with django_assert_num_queries(1):
        assert questionnaire_waiting(ids, at(START, 9)) == {plans[0].patient_id: WAITING}
    # Its last open day is 13 days on; the next morning in New York it is no longer waiting.
    assert questionnaire_waiting(ids, at(START + timedelta(days=13), 23)) != {}
    assert questionnaire_waiting(ids, at(START + timedelta(days=14), 0, 1)) == {}
