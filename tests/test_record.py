"""The patient's record across plans (issue 17, DESIGN section 14): one timeline of every plan,
week, session, alert, clearance event and plan change, filtered, paged, at a flat query cost."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans import services
from plans.models import Alert, SessionLog
from plans.record import TIMELINE_PAGE_SIZE
from tests.support import (
    NUMB_NOTE,
    patients_today,
    resumed,
    six_good_weeks,
    stopped_by_a_warning_sign,
    text,
    with_history,
)


def record_part(html: str) -> str:
    return html[html.index('id="plans-heading"') :]


def entries(html: str) -> list[str]:
    """The timeline's entries, newest first, as their data attributes (kind and id)."""
    timeline = html[html.index('id="timeline"') : html.index("</ol>", html.index('id="timeline"'))]
    return re.findall(r'<li class="record-entry[^"]*" (data-[a-z]+="[^"]+")', timeline)


@pytest.fixture
def cas_resumed(dr_cho):
    """Cas: six good weeks, today's numbness (with a note) stopped the plan; Dr Cho resumed it."""
    plan = six_good_weeks("cas", "Cas", dr_cho, patients_today())
    today = services.patient_today(plan.patient)
    numb = stopped_by_a_warning_sign(plan, today)
    new = resumed(plan, today)
    return plan, new, numb.log


def page(cho: Client, patient, query: str = "") -> str:
    response = cho.get(reverse("clinic:patient", args=[patient.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def test_after_a_resume_the_record_keeps_the_earlier_plan_and_its_notes(cho, cas_resumed):
    old, new, numb = cas_resumed
    html = page(cho, old.patient)
    record = text(record_part(html))
    # The red-flag session and its note are still there, under the plan it belongs to.
    assert f'data-log="{numb.pk}"' in html
    assert NUMB_NOTE in record
    assert "New numbness in an arm, leg, hand or foot" in record
    assert SessionLog.objects.filter(plan=old).count() == 17  # 16 in weeks 1–6, today's
    # A page holds TIMELINE_PAGE_SIZE entries of every kind; the sessions alone fit on one.
    sessions = page(cho, old.patient, "?kind=sessions")
    assert len([e for e in entries(sessions) if e.startswith("data-log")]) == 17
    # Every week of the old plan up to where it stopped, in the clinician's words.
    weeks = page(cho, old.patient, "?kind=weeks")
    assert "Stays at 25 minutes: completed 1 of 3 sessions in week 2 (2 needed to move up)." in (
        text(record_part(weeks))
    )
    assert f'data-week="{old.pk}-8"' not in weeks  # the STOP after it: no week it had
    # The paused plan is called what it is, never "completed".
    assert "Plan ended by a warning sign" in record
    assert "Ended by a warning sign" in record
    assert "Completed" not in text(html) and "completed plan" not in record.lower()
    assert "Plan resumed as a new plan" in record and "By Mei Cho" in record
    # Its alert: who closed it, when.
    alert = Alert.objects.get(session_log=numb)
    assert f"Closed {alert.acknowledged_at:%-d %b %Y}" in record and "by Mei Cho" in record
    # Earlier plans are links that narrow the record to them.
    assert f'href="?plan={old.pk}"' in html and f'href="?plan={new.pk}"' in html


def test_the_earlier_plan_link_shows_only_that_plan(cho, cas_resumed):
    old, new, numb = cas_resumed
    html = page(cho, old.patient, f"?plan={old.pk}")
    listed = entries(html)
    assert f'data-log="{numb.pk}"' in listed
    assert f'data-week="{new.pk}-1"' not in listed and f'data-week="{old.pk}-7"' in listed
    assert "Showing Plan 1, started" in text(html)
    html = page(cho, old.patient, f"?plan={new.pk}")
    assert not [e for e in entries(html) if e.startswith("data-log")]
    assert f'data-week="{new.pk}-1"' in entries(html)


@pytest.mark.parametrize(
    ("kind", "prefixes"),
    [
        ("sessions", {"data-log"}),
        ("weeks", {"data-week"}),
        ("alerts", {"data-alert"}),
        ("clearance", {"data-entry"}),
        ("changes", {"data-entry"}),
    ],
)
def test_the_record_filters_by_kind(cho, cas_resumed, kind, prefixes):
    old, _, _ = cas_resumed
    html = page(cho, old.patient, f"?kind={kind}")
    listed = entries(html)
    assert listed
    assert {e.split("=")[0] for e in listed} == prefixes
    assert f'class="nav-link active" href="?kind={kind}" aria-current="page"' in html
    if kind == "clearance":
        assert all(e.startswith('data-entry="clearance-') for e in listed)
    if kind == "changes":
        assert not any(e.startswith('data-entry="clearance-') for e in listed)


def test_plan_changes_say_who_changed_what(cho, dr_cho, cas_resumed):
    _, new, _ = cas_resumed
    services.plan_set_stage(plan=new, actor=dr_cho, stage=1)
    record = text(record_part(page(cho, new.patient, "?kind=changes")))
    assert "Stage changed Stage 2 → 1" in record
    assert "By Mei Cho" in record
    assert "Plan started" in record and "Plan ended by a warning sign" in record


def test_unknown_filters_are_ignored(cho, cas_resumed, ben_plan):
    old, _, _ = cas_resumed
    everything = entries(page(cho, old.patient))
    assert entries(page(cho, old.patient, "?kind=nonsense&page=x")) == everything
    # Another patient's plan id filters nothing and shows nothing of theirs.
    assert entries(page(cho, old.patient, f"?plan={ben_plan.pk}")) == everything


def test_long_notes_are_folded(cho, ana_plan):
    long_note = "My back felt stiff on the hill. " * 20
    services.session_log_create(
        patient=ana_plan.patient,
        day=services.patient_today(ana_plan.patient),
        activity="walking",
        minutes=15,
        pain_before=1,
        pain=2,
        pain_duration="within_2h",
        notes=long_note,
    )
    html = page(cho, ana_plan.patient)
    assert re.search(r'<details class="record-notes"><summary>Notes: My back felt stiff', html)
    assert long_note.strip() in text(html)


def test_the_record_is_paged(cho, ana):
    with_history(ana, weeks=52)
    first = page(cho, ana)
    second = page(cho, ana, "?page=2")
    one, two = entries(first), entries(second)
    assert len(one) == len(two) == TIMELINE_PAGE_SIZE
    assert not set(one) & set(two)
    assert "Older entries" in text(first) and "Newer entries" not in text(first)
    assert "Newer entries" in text(second)
    total = 52 * 3 + 53 + 1 + 2  # sessions, weeks, the plan's start, two clearance events
    pages = -(-total // TIMELINE_PAGE_SIZE)
    last = page(cho, ana, f"?page={pages}")
    assert len(entries(last)) == total - (pages - 1) * TIMELINE_PAGE_SIZE
    assert "Older entries" not in text(last)
    assert "Plan started" in text(last)
    seen = []
    for number in range(1, pages + 1):
        seen += entries(page(cho, ana, f"?page={number}"))
    assert len(seen) == len(set(seen)) == total


def drawing_queries(client: Client, patient, query: str = "") -> int:
    url = reverse("clinic:patient", args=[patient.pk]) + query
    client.get(url)  # the first request stores the session's login time
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("query", ["", "?page=2", "?kind=sessions", "?kind=weeks&page=2"])
def test_the_record_costs_the_same_for_one_week_or_a_year(cho, dr_cho, ana, query):
    from tests.conftest import make_patient

    eve = make_patient(
        "eve",
        "Eve",
        dr_cho,
        treatment="Epidural steroid injection",
        procedure_date=date.today().replace(day=1).replace(year=date.today().year - 2),
    )
    with_history(ana, weeks=1)
    with_history(eve, weeks=52)
    assert drawing_queries(cho, ana, query) == drawing_queries(cho, eve, query)
