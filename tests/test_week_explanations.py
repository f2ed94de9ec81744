"""Weeks in their own words (issue 17): each week keeps its cause and is explained beside itself,
and the patient's history after a resume ends the old plan where it ended."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from plans import history, services
from plans.models import PlanWeek
from recovery.models import AuditEvent, PatientProfile
from tests.support import (
    log_on_the_day,
    patients_today,
    prescribed,
    resumed,
    signed_in,
    six_good_weeks,
    stopped_by_a_warning_sign,
    text,
)


def week_sections(html: str) -> dict[tuple[int, int], str]:
    """Each week's card on the history page, by (plan id, week), as visible text."""
    cards = re.split(r'(?=<section class="card mb-3 history-week")', html)
    found = {}
    for card in cards[1:]:
        ids = re.search(r'data-plan="(\d+)" data-week="(\d+)"', card)
        card = card.split("</section>")[0]
        found[int(ids[1]), int(ids[2])] = text(card)
    return found


@pytest.fixture
def three_weeks(ana):
    """Ana's plan in its week 3: week 1 all three sessions done (+10), week 2 one (hold)."""
    plan = ana.plans.get() if ana.plans.exists() else None
    assert plan is None
    from tests.conftest import approve

    today = services.patient_today(ana)
    plan = approve(ana, start=today - timedelta(days=14), today=today - timedelta(days=14))
    for offset in (0, 2, 4):
        day = plan.start_date + timedelta(days=offset)
        log_on_the_day(plan, day, minutes=prescribed(plan, day))
    day = plan.start_date + timedelta(days=8)
    log_on_the_day(plan, day, minutes=prescribed(plan, day))
    services.plan_close_weeks(plan=plan, today=today)
    return plan


def test_each_week_stores_its_cause_and_numbers(three_weeks):
    weeks = {w.week: w for w in PlanWeek.objects.filter(plan=three_weeks)}
    assert (weeks[1].cause, weeks[1].cause_numbers) == ("start", {"minutes": 15})
    assert weeks[2].cause == "comfortable"
    assert weeks[2].cause_numbers == {
        "minutes": 25,
        "completed": 3,
        "planned": 3,
        "step": 10,
        "max_step": 10,
        "target": 40,
        "blank": 0,
    }
    assert weeks[3].cause == "too_few"
    assert weeks[3].cause_numbers == {"minutes": 25, "completed": 1, "planned": 3, "needed": 2}
    # The engine's own sentence is kept as it was decided.
    assert weeks[3].reason.startswith("You completed 1 of 3 sessions")


def test_a_late_log_keeps_the_explanation_true_to_the_week_before(three_weeks):
    """Late sessions for week 2 re-decide week 3; one that leaves its minutes as they were
    still changes what the explanation says about week 2."""
    plan = three_weeks
    yesterday = services.patient_today(plan.patient) - timedelta(days=1)

    def late(minutes: int, pain: int) -> None:
        services.session_log_create(
            patient=plan.patient, day=yesterday, activity="walking", minutes=minutes,
            pain_before=1, pain=pain, pain_duration="within_2h",
        )  # fmt: skip

    late(20, pain=2)  # a second completed session: week 3 now moves up
    week = PlanWeek.objects.get(plan=plan, week=3)
    assert (week.decision, week.cause, week.minutes) == ("progress", "comfortable", 30)
    assert week.cause_numbers["completed"] == 2
    late(10, pain=4)  # not completed, and not comfortable: the same 30 minutes, another cause
    week.refresh_from_db()
    assert (week.decision, week.cause, week.minutes) == ("progress", "not_always_comfortable", 30)
    assert "not always comfortable" in week.reason
    assert AuditEvent.objects.filter(action="plan_week_redecided").count() == 1


def test_me_explains_this_week_by_last_weeks_sessions(three_weeks):
    page = text(signed_in(three_weeks.patient.user).get(reverse("me:dashboard")))
    assert (
        "Why this amount: This week stays at 25 minutes because last week you completed 1 of 3 "
        "sessions. 2 completed sessions are needed to move up." in page
    )
    assert "next week" not in page.split("Why this amount:")[1][:200]


def test_history_shows_each_weeks_sentence_beside_its_own_numbers(three_weeks):
    html = signed_in(three_weeks.patient.user).get(reverse("me:history")).content.decode()
    weeks = week_sections(html)
    pid = three_weeks.pk
    assert (
        "Week 3 stays at 25 minutes because in week 2 you completed 1 of 3 sessions"
        in (weeks[pid, 3])
    )
    assert "Done: 1 of 3" in weeks[pid, 2]
    assert (
        "Week 2 adds 10 minutes, to 25 minutes per session, because in week 1 you completed 3 of "
        "3 sessions with comfortable pain." in weeks[pid, 2]
    )
    assert "Done: 3 of 3" in weeks[pid, 1]
    assert "Week 1 starts gently at 15 minutes per session" in weeks[pid, 1]
    assert "next week" not in " ".join(weeks.values())


def test_old_weeks_without_a_cause_show_their_stored_reason(three_weeks):
    PlanWeek.objects.filter(plan=three_weeks, week=3).update(
        cause="", cause_numbers={}, reason="An old sentence from before causes were kept."
    )
    html = signed_in(three_weeks.patient.user).get(reverse("me:history")).content.decode()
    assert "An old sentence from before causes were kept." in week_sections(html)[three_weeks.pk, 3]


# --- after a resume --------------------------------------------------------------------------


@pytest.fixture
def stopped(dr_cho):
    """Cas's plan, started six weeks ago today: today's warning sign stopped it in week 7."""

    plan = six_good_weeks("cas", "Cas", dr_cho, patients_today())
    today = services.patient_today(plan.patient)
    stopped_by_a_warning_sign(plan, today)
    plan.refresh_from_db()
    assert plan.status == "paused"
    assert PlanWeek.objects.filter(plan=plan, week=8, decision="stop").exists()
    return plan


def ranges(patient: PatientProfile) -> list[tuple[int, int, object, object]]:
    _, weeks = history.history_page(patient, 1)
    return [(w.prescription.plan_id, w.prescription.week, w.first_day, w.last_day) for w in weeks]


def test_a_stopped_plan_shows_no_future_week(stopped):
    today = services.patient_today(stopped.patient)
    listed = ranges(stopped.patient)
    assert [week for _, week, *_ in listed] == [7, 6, 5, 4, 3, 2, 1]
    assert listed[0][2:] == (today, today)  # week 7 ends the day the plan stopped
    page = text(signed_in(stopped.patient.user).get(reverse("me:history")))
    assert "Week 8" not in page
    assert "Your plan, paused" in page


def test_history_after_a_resume_groups_by_plan_and_never_repeats_dates(stopped):
    today = services.patient_today(stopped.patient)
    new = resumed(stopped, today)
    listed = ranges(stopped.patient)
    assert [(plan, week) for plan, week, *_ in listed] == [(new.pk, 1)] + [
        (stopped.pk, k) for k in range(7, 0, -1)
    ]
    spans = [(first, last) for *_, first, last in listed]
    assert len(set(spans)) == len(spans), "two weeks listed with the same dates"
    old = [(first, last) for plan, _, first, last in listed if plan == stopped.pk]
    assert all(last <= today for _, last in old), "the old plan's weeks end where it ended"
    for (_, last), (next_first, _) in zip(old[1:], old, strict=False):
        assert last < next_first  # the old plan's own weeks never overlap
    html = signed_in(stopped.patient.user).get(reverse("me:history")).content.decode()
    page = text(html)
    assert page.index("Your current plan") < page.index("Week 1 ") < page.index("An earlier plan")
    assert page.index("An earlier plan") < page.index("Week 7 ")
    assert "Week 8" not in page
    assert "Week 1 starts again at 10 minutes per session" in week_sections(html)[new.pk, 1]
    assert "completed" not in page.split("An earlier plan")[1].split("Week 7")[0].lower()
