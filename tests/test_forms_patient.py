"""The patient forms (plans/forms.py, forms_symptoms.py, forms_reminders.py): they validate and
normalise, and never save."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from plans import engine
from plans.forms import (
    BORG_CHOICES,
    NO_ANSWER_MESSAGE,
    NONE_AND_SIGN_MESSAGE,
    PainFollowUpForm,
    SessionLogForm,
)
from plans.forms_reminders import ReminderSettingsForm, hour_label
from plans.forms_symptoms import SymptomReportForm
from plans.models import PainDuration, Plan, RedFlag, SessionLog

TODAY = date(2026, 11, 24)


def plan(**fields) -> Plan:
    """An unsaved plan: the form reads only its start date and allowed activities."""
    defaults = {
        "start_date": TODAY - timedelta(days=10),
        "allowed_activities": ["walking", "water"],
    }
    return Plan(**{**defaults, **fields})


def form_data(data: dict | None = None) -> dict:
    """A valid session: both pains, how long, and the warning-sign list answered "None"."""
    return {
        "date": TODAY.isoformat(),
        "activity": "walking",
        "minutes": "20",
        "pain_before": "2",
        "pain": "3",
        "pain_duration": "within_2h",
        "no_red_flags": "on",
        "submission_token": str(uuid.uuid4()),
        **(data or {}),
    }


def session_form(data: dict | None = None, **kwargs) -> SessionLogForm:
    return SessionLogForm(form_data(data), plan=kwargs.pop("plan", plan()), today=TODAY, **kwargs)


# --- the session form ----------------------------------------------------------------------------


def test_an_unbound_form_starts_from_today_this_weeks_minutes_and_a_fresh_token():
    first = SessionLogForm(plan=plan(), today=TODAY, minutes=25)
    second = SessionLogForm(plan=plan(), today=TODAY, minutes=25)
    assert first.initial["date"] == TODAY
    assert first.initial["minutes"] == 25
    assert first.initial["submission_token"] != second.initial["submission_token"]
    assert "25 minutes a session" in first.fields["minutes"].help_text
    assert first.fields["date"].widget.attrs["max"] == TODAY.isoformat()


def test_activities_are_only_those_the_plan_allows_with_their_labels():
    form = session_form({"activity": "running"})
    assert form.fields["activity"].choices == [
        ("walking", "Walking"),
        ("water", "Swimming or water exercise"),
    ]
    assert not form.is_valid()
    assert "activity" in form.errors


def test_a_single_allowed_activity_is_chosen_already():
    form = SessionLogForm(plan=plan(allowed_activities=["walking"]), today=TODAY)
    assert form.initial["activity"] == "walking"


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (TODAY + timedelta(days=1), "The date cannot be in the future."),
        (TODAY - timedelta(days=11), "pick that day or later"),
    ],
)
def test_the_date_is_not_in_the_future_nor_before_the_plan_started(day, message):
    form = session_form({"date": day.isoformat()})
    assert not form.is_valid()
    assert message in form.errors["date"][0]


def test_the_first_and_last_allowed_days_are_accepted():
    assert session_form({"date": TODAY.isoformat()}).is_valid()
    assert session_form({"date": (TODAY - timedelta(days=10)).isoformat()}).is_valid()


NUMBER_CASES = [
    ("minutes", "0", False),
    ("minutes", "1", True),
    ("minutes", "300", True),
    ("minutes", "301", False),
    ("minutes", "twenty", False),
    ("pain", "-1", False),
    ("pain", "0", True),
    ("pain", "10", True),
    ("pain", "11", False),
    ("pain", "", False),
    ("pain", "2.5", False),
    ("pain_before", "-1", False),
    ("pain_before", "0", True),
    ("pain_before", "10", True),
    ("pain_before", "11", False),
    ("pain_before", "", False),
    ("pain_duration", "within_2h", True),
    ("pain_duration", "not_settled", True),
    ("pain_duration", "", False),
    ("pain_duration", "36", False),
    ("exertion", "6", True),
    ("exertion", "20", True),
    ("exertion", "5", False),
    ("exertion", "21", False),
    ("exertion", "", True),
]


@pytest.mark.parametrize(("field", "value", "valid"), NUMBER_CASES)
def test_numbers_stay_inside_their_ranges(field, value, valid):
    assert session_form({field: value}).is_valid() is valid


def test_cleaned_values_are_normalised_for_the_service():
    form = session_form(
        {
            "pain_before": "4",
            "pain": "6",
            "pain_duration": "not_settled",
            "exertion": "",
            "notes": "   felt fine  ",
            "red_flags_same_day": ["fall", "tingling"],
            "red_flags_emergency": ["both_legs"],
            "no_red_flags": "",
        }
    )
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert (data["pain_before"], data["pain"]) == (4, 6)
    assert data["pain_duration"] == PainDuration.NOT_SETTLED
    assert "pain_lasted_hours" not in data  # the service maps the answer to hours
    assert data["exertion"] is None
    assert data["notes"] == "felt fine"
    assert data["sharp_pain"] is False
    assert data["red_flags"] == ["both_legs", "fall", "tingling"]
    assert isinstance(data["submission_token"], uuid.UUID)


def test_the_form_never_saves(db):
    form = session_form()
    assert form.is_valid()
    assert not hasattr(form, "save")
    assert not SessionLog.objects.exists()


def test_every_red_flag_is_asked_once_in_its_tier():
    form = session_form()
    same_day = dict(form.fields["red_flags_same_day"].choices)
    emergency = dict(form.fields["red_flags_emergency"].choices)
    assert set(same_day) == set(engine.SAME_DAY_FLAGS)
    assert set(emergency) == set(engine.EMERGENCY_FLAGS)
    assert {**same_day, **emergency} == {flag.value: flag.label for flag in RedFlag}


def test_an_unknown_red_flag_is_refused():
    form = session_form({"red_flags_same_day": ["bladder_bowel"]})  # right code, wrong tier
    assert not form.is_valid()
    assert "red_flags_same_day" in form.errors


def test_a_missing_or_forged_token_is_refused_and_replaced():
    for bad in ("", "not-a-uuid"):
        form = session_form({"submission_token": bad})
        assert not form.is_valid()
        assert "could not be checked" in form.non_field_errors()[0]
        assert uuid.UUID(form.data["submission_token"])  # the re-rendered form can be sent again


def test_borg_choices_cover_6_to_20_with_words_and_an_opt_out():
    values = [value for value, _ in BORG_CHOICES]
    assert values == ["", *range(6, 21)]
    assert dict(BORG_CHOICES)[13] == "13 – Somewhat hard"


def test_a_missing_answer_is_named_in_plain_words():
    form = session_form({"date": "", "activity": "", "minutes": ""})
    assert not form.is_valid()
    assert form.errors["date"] == ["Enter the date of the session."]
    assert form.errors["activity"] == ["Choose what you did."]
    assert form.errors["minutes"] == ["Enter how many minutes you exercised."]
    assert session_form({"activity": "running"}).errors["activity"] == [
        "Choose one of the activities listed."
    ]


def test_the_error_summary_points_at_each_field_in_page_order():
    form = session_form({"date": "", "activity": "", "minutes": "0"})
    assert not form.is_valid()
    anchors = [anchor for anchor, _, _ in form.error_summary()]
    assert anchors == ["id_date", "id_activity_0", "id_minutes"]


@pytest.mark.parametrize(
    ("service_field", "expected"),
    [
        ("minutes", "minutes"),
        ("date", "date"),
        ("pain_duration", "pain_duration"),
        ("red_flags", "no_red_flags"),  # beside the warning-sign list
        (None, None),
        ("x", None),
    ],
)
def test_service_errors_land_beside_the_field_they_name(service_field, expected):
    assert session_form().service_field(service_field) == expected


def test_the_layout_renders_labels_help_and_fieldsets():
    from crispy_forms.utils import render_crispy_form

    html = render_crispy_form(session_form())
    assert "<legend" in html and "Since your last session, have you had any of these?" in html
    assert 'aria-describedby="id_pain_helptext"' in html
    assert 'id="id_pain_helptext"' in html
    assert html.count('type="checkbox"') == len(RedFlag) + 2  # + sharp pain, "None of these"


# --- the warning-sign list, answered one way only (DESIGN section 1 rule 6) -----------------------


def test_a_list_left_unanswered_is_refused_beside_the_list():
    form = session_form({"no_red_flags": ""})
    assert not form.is_valid()
    assert form.errors["no_red_flags"] == [NO_ANSWER_MESSAGE]
    assert NO_ANSWER_MESSAGE == "Tick each sign you have, or tick “None of these”."
    assert form.warning_sign_errors == [NO_ANSWER_MESSAGE]
    # One entry in the summary, linked to the list's first box (an emergency sign).
    assert form.error_summary() == [
        ("id_red_flags_emergency_0", "Warning signs", NO_ANSWER_MESSAGE)
    ]
    # What was typed stays in the form to show again.
    assert form.data["pain"] == "3" and form.data["pain_duration"] == "within_2h"


@pytest.mark.parametrize(
    "signs",
    [{"red_flags_same_day": ["fall"]}, {"red_flags_emergency": ["fainting"]}],
    ids=["same-day", "emergency"],
)
def test_none_of_these_with_a_sign_is_refused(signs):
    form = session_form({"no_red_flags": "on", **signs})
    assert not form.is_valid()
    assert form.errors["no_red_flags"] == [NONE_AND_SIGN_MESSAGE]
    assert NONE_AND_SIGN_MESSAGE.startswith("You ticked “None of these” and a sign: ")


def test_a_sign_alone_or_none_alone_is_an_answer():
    sign = session_form({"no_red_flags": "", "red_flags_emergency": ["chest_breathing"]})
    assert sign.is_valid(), sign.errors
    assert sign.cleaned_data["red_flags"] == ["chest_breathing"]
    none = session_form()
    assert none.is_valid(), none.errors
    assert none.cleaned_data["red_flags"] == []


def test_an_unknown_sign_is_one_message_beside_the_list_not_two():
    form = session_form({"no_red_flags": "", "red_flags_same_day": ["nonsense"]})
    assert not form.is_valid()
    assert form.warning_sign_errors == ["Tick only the signs listed."]


def test_the_emergency_tier_comes_first_and_the_same_day_tier_names_the_phone(settings):
    from crispy_forms.utils import render_crispy_form

    settings.CLINIC_PHONE = "(555) 777-1234"
    form = session_form()
    names = list(form.fields)
    assert names.index("red_flags_emergency") < names.index("red_flags_same_day")
    assert names.index("red_flags_same_day") < names.index("no_red_flags")
    html = render_crispy_form(form)
    emergency = html.index(
        "Call 911 or go to the nearest emergency department now if you have any of these"
    )
    same_day = html.index(
        'Stop exercising and call your care team today: <span class="text-nowrap">(555) 777-1234'
    )
    assert emergency < same_day < html.index(">None of these</label>")
    # The list is a fieldset with a legend, its hint (and any error) tied to it.
    assert '<fieldset class="red-flag-list warning-signs" id="warning-signs" ' in html
    assert 'aria-describedby="warning-signs-hint"' in html
    assert 'aria-describedby="id_pain_duration_helptext"' in html
    assert 'aria-describedby="id_pain_before_helptext"' in html
    for flag in RedFlag:
        assert f">{flag.label}</label>" in html


def test_an_unanswered_list_is_described_by_its_message():
    from crispy_forms.utils import render_crispy_form

    form = session_form({"no_red_flags": ""})
    form.is_valid()
    html = render_crispy_form(form)
    assert 'aria-describedby="warning-signs-hint warning-signs-error"' in html
    assert 'id="warning-signs-error"' in html
    assert (
        html.count(NO_ANSWER_MESSAGE.replace("“", "&ldquo;")) + html.count(NO_ANSWER_MESSAGE) == 1
    )


def test_the_pains_and_their_duration_are_required_in_plain_words():
    form = session_form({"pain_before": "", "pain": "", "pain_duration": ""})
    assert not form.is_valid()
    assert form.errors["pain_before"] == [
        "Enter your pain before exercise, a whole number from 0 to 10."
    ]
    assert form.errors["pain"] == ["Enter your pain after exercise, a whole number from 0 to 10."]
    assert form.errors["pain_duration"] == ["Choose how long any raised pain lasted."]
    assert dict(form.fields["pain_duration"].choices) == dict(PainDuration.choices)
    assert "It has not settled yet" in dict(form.fields["pain_duration"].choices).values()


def test_notes_say_they_are_read_later_and_where_a_sign_goes(settings):
    settings.CLINIC_PHONE = "(555) 777-1234"
    help_text = session_form().fields["notes"].help_text
    assert "read at your next review, not straight away" in help_text
    assert "tick it in the list above, or call (555) 777-1234" in help_text


def test_after_pain_this_week_the_minutes_help_says_what_to_keep_to():
    form = session_form(minutes=25)
    form.set_week_minutes(25, keep_to=20)
    assert (
        "keep sessions to 20 minutes for the rest of the week" in form.fields["minutes"].help_text
    )
    assert "only once the pain has settled" in form.fields["minutes"].help_text


# --- the symptom report --------------------------------------------------------------------------


def symptom_form(data: dict) -> SymptomReportForm:
    return SymptomReportForm({"submission_token": str(uuid.uuid4()), **data})


@pytest.mark.parametrize(
    ("data", "flags", "pain_now"),
    [
        ({"red_flags_same_day": ["fever"]}, ["fever"], None),
        ({"red_flags_emergency": ["both_legs"], "pain_now": "6"}, ["both_legs"], 6),
        ({"no_red_flags": "on", "pain_now": "9"}, [], 9),
        ({"no_red_flags": "on", "pain_now": "0"}, [], 0),
    ],
)
def test_a_symptom_report_is_a_sign_or_pain_now(data, flags, pain_now):
    form = symptom_form(data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["red_flags"] == flags
    assert form.cleaned_data["pain_now"] == pain_now


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "no_red_flags", NO_ANSWER_MESSAGE),
        ({"pain_now": "5"}, "no_red_flags", NO_ANSWER_MESSAGE),
        ({"no_red_flags": "on", "red_flags_same_day": ["fall"]}, "no_red_flags", None),
        ({"no_red_flags": "on"}, "pain_now", "Give your pain right now"),
        (
            {"no_red_flags": "on", "pain_now": "11"},
            "pain_now",
            "Enter a whole number from 0 to 10.",
        ),
    ],
    ids=["nothing", "pain-without-the-list", "none-and-a-sign", "none-without-pain", "pain-11"],
)
def test_a_symptom_report_without_an_answer_is_refused(data, field, message):
    form = symptom_form(data)
    assert not form.is_valid()
    assert field in form.errors
    assert (message or NONE_AND_SIGN_MESSAGE) in form.errors[field][0]


def test_a_symptom_report_with_nothing_says_both_what_is_missing():
    form = symptom_form({})
    assert not form.is_valid()
    assert [label for _, label, _ in form.error_summary()] == [
        "Warning signs",
        "Your pain right now, 0–10 (optional)",
    ]


def test_a_symptom_report_lists_the_same_signs_emergency_first_and_keeps_its_token():
    form = SymptomReportForm()
    assert list(form.fields)[:3] == ["red_flags_emergency", "red_flags_same_day", "no_red_flags"]
    assert uuid.UUID(str(form.initial["submission_token"]))
    lost = SymptomReportForm({"no_red_flags": "on", "pain_now": "3", "submission_token": "x"})
    assert not lost.is_valid()
    assert "could not be checked" in lost.non_field_errors()[0]
    assert uuid.UUID(lost.data["submission_token"])


# --- the pain follow-up --------------------------------------------------------------------------


def test_the_follow_up_offers_the_three_answers_and_needs_one():
    assert [value for value, _ in PainFollowUpForm().fields["settled"].choices] == [
        "within_2h",
        "later",
        "next_day",
    ]
    assert PainFollowUpForm({"settled": "later"}).is_valid()
    assert PainFollowUpForm({}).errors["settled"] == ["Choose when the pain settled."]
    assert not PainFollowUpForm({"settled": "not_settled"}).is_valid()


# --- the reminder form ---------------------------------------------------------------------------


def test_reminder_form_coerces_and_accepts_a_real_zone():
    form = ReminderSettingsForm(
        {"weekday": "6", "hour": "0", "timezone": "Asia/Kolkata", "reminders_enabled": "on"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "weekday": 6,
        "hour": 0,
        "timezone": "Asia/Kolkata",
        "reminders_enabled": True,
    }


@pytest.mark.parametrize(
    ("field", "value"), [("weekday", "7"), ("hour", "24"), ("timezone", "Nowhere/Special")]
)
def test_reminder_form_refuses_out_of_range_values(field, value):
    data = {"weekday": "0", "hour": "9", "timezone": "UTC", field: value}
    form = ReminderSettingsForm(data)
    assert not form.is_valid()
    assert field in form.errors


def test_time_zones_are_grouped_by_region_and_an_old_alias_stays_selectable():
    form = ReminderSettingsForm(initial={"timezone": "US/Eastern"})
    groups = dict(form.fields["timezone"].choices)
    assert ("America/New_York", "New York") in groups["America"]
    assert ("Europe/Berlin", "Berlin") in groups["Europe"]
    assert ("US/Eastern", "US/Eastern") in groups["Other"]
    assert ("UTC", "UTC") in groups["Other"]
    assert not any(name == "Etc/GMT+5" for options in groups.values() for name, _ in options)


def test_the_browser_may_suggest_a_zone_only_before_the_patient_saves_one():
    suggest = ReminderSettingsForm(suggest_browser_timezone=True)
    assert suggest.fields["timezone"].widget.attrs["data-browser-default"] == "true"
    assert "data-browser-default" not in ReminderSettingsForm().fields["timezone"].widget.attrs
    bound = ReminderSettingsForm({"timezone": "UTC"}, suggest_browser_timezone=True)
    assert "data-browser-default" not in bound.fields["timezone"].widget.attrs


@pytest.mark.parametrize(
    ("hour", "label"),
    [
        (0, "12 midnight (00:00)"),
        (9, "9 am (09:00)"),
        (12, "12 noon (12:00)"),
        (18, "6 pm (18:00)"),
    ],
)
def test_hours_read_the_way_people_say_them(hour, label):
    assert hour_label(hour) == label
