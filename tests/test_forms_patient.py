"""The patient forms (plans/forms.py): they validate and normalise, and never save."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from plans import engine
from plans.forms import BORG_CHOICES, ReminderSettingsForm, SessionLogForm, hour_label
from plans.models import Plan, RedFlag, SessionLog

TODAY = date(2026, 11, 24)


def plan(**fields) -> Plan:
    """An unsaved plan: the form reads only its start date and allowed activities."""
    defaults = {
        "start_date": TODAY - timedelta(days=10),
        "allowed_activities": ["walking", "water"],
    }
    return Plan(**{**defaults, **fields})


def form_data(data: dict | None = None) -> dict:
    return {
        "date": TODAY.isoformat(),
        "activity": "walking",
        "minutes": "20",
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
    ("pain", "", True),
    ("pain_lasted_hours", "72", True),
    ("pain_lasted_hours", "72.5", False),
    ("pain_lasted_hours", "1.25", False),
    ("pain_lasted_hours", "-0.5", False),
    ("exertion", "6", True),
    ("exertion", "20", True),
    ("exertion", "5", False),
    ("exertion", "21", False),
    ("exertion", "", True),
]


@pytest.mark.parametrize(("field", "value", "valid"), NUMBER_CASES)
def test_numbers_stay_inside_their_ranges(field, value, valid):
    assert session_form({field: value}).is_valid() is valid


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *((field, value) for field, value, _ in NUMBER_CASES),
        ("activity", "walking"),
        ("activity", "flying"),
        ("red_flags_same_day", ["fall"]),
        ("red_flags_same_day", ["bladder_bowel"]),
        ("red_flags_emergency", ["bladder_bowel", "nonsense"]),
        ("submission_token", "not-a-uuid"),
        ("date", "24/11/2026x"),
    ],
)
def test_a_form_only_checked_judges_as_the_shown_form_does(field, value):
    """The log POST checks the form without a plan first (views_patient.session_new), on
    fields shared between such forms rather than copied for each."""
    data = form_data({field: value})
    shown = SessionLogForm(data, plan=plan(), today=TODAY)
    checked = SessionLogForm(data)
    assert checked.is_valid() is shown.is_valid()
    assert checked.errors == shown.errors
    if shown.is_valid():
        assert checked.cleaned_data == shown.cleaned_data


def test_forms_only_checked_share_their_fields_and_checking_changes_none():
    def described(form):
        return {
            name: (
                list(getattr(field, "choices", [])),
                dict(field.widget.attrs),
                str(field.help_text),
                dict(field.error_messages),
                len(field.validators),
            )
            for name, field in form.fields.items()
        }

    first, second = SessionLogForm({}), SessionLogForm({"minutes": "x"})
    assert all(first.fields[name] is second.fields[name] for name in first.fields)
    before = described(first)
    for data in ({}, form_data({"minutes": "400", "activity": "flying"}), form_data()):
        SessionLogForm(data).is_valid()
    shown = session_form(minutes=25)  # a shown form changes its own fields
    shown.set_week_minutes(30)
    assert not any(shown.fields[name] is first.fields[name] for name in first.fields)
    assert described(SessionLogForm({})) == before


def test_cleaned_values_are_normalised_for_the_service():
    form = session_form(
        {
            "pain": "",
            "pain_lasted_hours": "",
            "exertion": "",
            "notes": "   felt fine  ",
            "red_flags_same_day": ["fall", "tingling"],
            "red_flags_emergency": ["both_legs"],
        }
    )
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["pain"] is None
    assert data["pain_lasted_hours"] == Decimal(0)
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
    [("minutes", "minutes"), ("date", "date"), ("red_flags", None), (None, None), ("x", None)],
)
def test_service_errors_land_beside_the_field_they_name(service_field, expected):
    assert session_form().service_field(service_field) == expected


def test_the_layout_renders_labels_help_and_fieldsets():
    from crispy_forms.utils import render_crispy_form

    html = render_crispy_form(session_form())
    assert "<legend" in html and "Since your last session, have you had any of these?" in html
    assert 'aria-describedby="id_pain_helptext"' in html
    assert 'id="id_pain_helptext"' in html
    assert html.count('type="checkbox"') == len(RedFlag) + 1  # + "the pain was sharp"


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
