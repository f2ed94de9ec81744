"""Patient forms: logging a session and choosing reminders. They validate and normalise; the
services save."""

from __future__ import annotations

import copy
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cache

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout, Submit
from django import forms

from plans import engine
from plans.models import Plan, RedFlag
from recovery.models import Activity, Weekday

PAIN_LASTED_HOURS_MAX = 72
MINUTES_MAX = 300

# Borg's rating of perceived exertion, with the words printed on the scale itself.
BORG_WORDS = {
    6: "No effort at all",
    7: "Extremely light",
    9: "Very light",
    11: "Light",
    13: "Somewhat hard",
    15: "Hard",
    17: "Very hard",
    19: "Extremely hard",
    20: "The hardest you can imagine",
}
BORG_CHOICES = [("", "I'd rather not say")] + [
    (value, f"{value} – {BORG_WORDS[value]}" if value in BORG_WORDS else str(value))
    for value in range(6, 21)
]

SAME_DAY_CHOICES = [(f.value, f.label) for f in RedFlag if f.value in engine.SAME_DAY_FLAGS]
EMERGENCY_CHOICES = [(f.value, f.label) for f in RedFlag if f.value in engine.EMERGENCY_FLAGS]


def _fixed(choices: list) -> Callable[[], list]:
    """Choices that never change, given as a callable: each shown form copies its fields, and
    Django copies (and normalises again) a list of choices with them but not a callable; those
    copies were ~0.1 ms of Python a form. Forms only checked copy nothing (_checking_fields)."""
    return lambda: choices


class _SharedFields(dict):
    """Fields that every instance of a form uses as they are: Django deep-copies a form's fields
    for each instance, so that one instance may change its own, and this copy is a copy of the
    dict only. For forms that are only checked, never shown: checking changes no field."""

    def __deepcopy__(self, memo) -> dict:
        return dict(self)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return False
    return True


class SessionLogForm(forms.Form):
    """One exercise session. Bound to the plan it is logged against and the patient's today.

    Without a plan it only checks what needs none (types, ranges, a known activity, the token):
    the view saves such a form through the service, which checks the plan's own rules under its
    lock, and shows the form again bound to the plan only when something is refused.
    """

    date = forms.DateField(
        label="Date of the session",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Enter the date of the session.",
            "invalid": "Enter the date as a calendar date, for example 2026-11-24.",
        },
    )
    activity = forms.ChoiceField(
        label="What did you do?",
        choices=_fixed(Activity.choices),
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what you did.",
            "invalid_choice": "Choose one of the activities listed.",
        },
    )
    minutes = forms.IntegerField(
        label="How many minutes did you exercise?",
        min_value=1,
        max_value=MINUTES_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter how many minutes you exercised.",
            "invalid": "Enter the minutes as a whole number, for example 20.",
            "min_value": "Enter at least 1 minute.",
            "max_value": f"Enter {MINUTES_MAX} minutes or fewer.",
        },
    )
    pain = forms.IntegerField(
        label="Pain after exercise, from 0 to 10 (optional)",
        required=False,
        min_value=0,
        max_value=engine.PAIN_MAX,
        help_text="0 means no pain, 10 the worst pain you can imagine. "
        "Mild muscle soreness is normal.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter a whole number from 0 to 10.",
            "min_value": "Enter a whole number from 0 to 10.",
            "max_value": "Enter a whole number from 0 to 10.",
        },
    )
    pain_lasted_hours = forms.DecimalField(
        label="How many hours did that pain last? (optional)",
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(PAIN_LASTED_HOURS_MAX),
        max_digits=4,
        decimal_places=1,
        help_text="Enter 0 if it went within the hour. Halves are fine, for example 1.5.",
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
        error_messages={
            "invalid": "Enter a number of hours, for example 1.5.",
            "min_value": "Enter 0 hours or more.",
            "max_value": f"Enter {PAIN_LASTED_HOURS_MAX} hours or fewer.",
            "max_decimal_places": "Use at most one decimal place, for example 1.5.",
            "max_digits": "Enter a number of hours, for example 1.5.",
        },
    )
    sharp_pain = forms.BooleanField(
        label="The pain was sharp, not just a dull ache or soreness", required=False
    )
    red_flags_same_day = forms.MultipleChoiceField(
        label="Call your care team today if you tick any of these",
        choices=_fixed(SAME_DAY_CHOICES),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    red_flags_emergency = forms.MultipleChoiceField(
        label="Call 911 if you tick any of these",
        choices=_fixed(EMERGENCY_CHOICES),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    exertion = forms.TypedChoiceField(
        label="How hard did it feel? (optional)",
        choices=_fixed(BORG_CHOICES),
        coerce=int,
        empty_value=None,
        required=False,
        help_text="The Borg scale: 6 is no effort at all, 20 the hardest effort you can imagine.",
    )
    notes = forms.CharField(
        label="Anything else your care team should know? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    submission_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        plan: Plan | None = None,
        today: date | None = None,
        minutes: int | None = None,
        **kwargs,
    ):
        if plan is None:
            self.base_fields = _checking_fields()  # only checked: no copy of the fields
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.today = today
        # A form that lost its token gets a fresh one to send again; it is refused this time.
        self.token_replaced = self.is_bound and not _is_uuid(self.data.get("submission_token"))
        if self.token_replaced:
            self.data = self.data.copy()
            self.data["submission_token"] = str(uuid.uuid4())
        if plan is None:
            return  # only validated, never shown
        if not self.is_bound:
            self.initial.setdefault("submission_token", uuid.uuid4())
            self.initial.setdefault("date", today)
            if minutes:
                self.initial.setdefault("minutes", minutes)

        activities = [a for a in plan.allowed_activities if a in Activity.values]
        self.fields["activity"].choices = [(a, Activity(a).label) for a in activities]
        if len(activities) == 1 and not self.is_bound:
            self.initial.setdefault("activity", activities[0])
        self.fields["date"].widget.attrs.update(
            {"min": plan.start_date.isoformat(), "max": today.isoformat()}
        )
        self.fields["minutes"].widget.attrs.update({"min": 1, "max": MINUTES_MAX})
        self.fields["pain"].widget.attrs.update({"min": 0, "max": engine.PAIN_MAX})
        self.fields["pain_lasted_hours"].widget.attrs.update(
            {"min": 0, "max": PAIN_LASTED_HOURS_MAX}
        )
        self.set_week_minutes(minutes)

        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.form_show_errors = True
        self.helper.layout = Layout(
            Fieldset("Your session", "date", "activity", "minutes"),
            Fieldset("How it felt", "pain", "pain_lasted_hours", "sharp_pain", "exertion"),
            Fieldset(
                "Since your last session, have you had any of these?",
                HTML(
                    '<p class="form-text mt-0" id="red-flags-hint">Tick each one that is new '
                    "or worse. If none, leave them all empty.</p>"
                ),
                "red_flags_same_day",
                "red_flags_emergency",
                css_class="red-flag-list",
            ),
            "notes",
            "submission_token",
            Submit("save", "Save this session", css_class="btn-lg"),
        )

    def set_week_minutes(self, minutes: int | None) -> None:
        """Say this week's prescription beside the minutes field."""
        if minutes:
            self.fields["minutes"].help_text = (
                f"This week's plan is {minutes} minutes a session. "
                "Enter what you actually did, even if it was less."
            )

    def clean_date(self) -> date:
        day = self.cleaned_data["date"]
        if self.plan is None:
            return day
        if day > self.today:
            raise forms.ValidationError("The date cannot be in the future.")
        if day < self.plan.start_date:
            raise forms.ValidationError(
                f"Your plan started on {self.plan.start_date:%-d %B %Y}; pick that day or later."
            )
        return day

    def clean_pain_lasted_hours(self) -> Decimal:
        return self.cleaned_data["pain_lasted_hours"] or Decimal(0)

    def clean_notes(self) -> str:
        return self.cleaned_data["notes"].strip()

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.token_replaced:
            raise forms.ValidationError(
                "This form could not be checked. Please look over your answers and save again."
            )
        cleaned["red_flags"] = sorted(
            set(cleaned.get("red_flags_same_day", [])) | set(cleaned.get("red_flags_emergency", []))
        )
        return cleaned

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(element id, label, message) for each field error, in page order, for the summary
        at the top of the page that links to each field."""
        summary = []
        for field in self.visible_fields():
            widget = field.field.widget
            anchor = field.auto_id
            if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                anchor = f"{anchor}_0"  # the first option: the group itself has no id
            summary.extend((anchor, field.label, error) for error in field.errors)
        return summary

    def service_field(self, name: str | None) -> str | None:
        """The form field a service error named, or None for an error about the whole form."""
        if name == "red_flags":
            return None
        return name if name in self.fields else None


@cache
def _checking_fields() -> _SharedFields:
    """SessionLogForm's fields for the forms it only checks, copied once. Their choices are plain
    lists, normalised once, as no copying is left to spare. On the log POST the per-form copy and
    the choices normalised again for each check were 0.15 ms of Python, in process: a check took
    238 µs with them and takes 85 µs now."""
    fields = copy.deepcopy(SessionLogForm.base_fields)
    for field in fields.values():
        if isinstance(field, forms.ChoiceField):
            field.choices = list(field.choices)
    return _SharedFields(fields)


def _timezone_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Time zones grouped by region for the select, e.g. America → New York."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name in sorted(zoneinfo.available_timezones()):
        region, _, place = name.partition("/")
        if not place or region in {"Etc", "SystemV", "US", "Canada", "Brazil", "Mexico", "Chile"}:
            # Legacy aliases; the region/city names cover the same clocks.
            if name != "UTC":
                continue
            region, place = "Other", "UTC"
        groups[region].append((name, place.replace("_", " ").replace("/", " – ")))
    return sorted(groups.items())


def hour_label(hour: int) -> str:
    suffix = "am" if hour < 12 else "pm"
    twelve = hour % 12 or 12
    if hour == 0:
        return "12 midnight (00:00)"
    if hour == 12:
        return "12 noon (12:00)"
    return f"{twelve} {suffix} ({hour:02d}:00)"


class ReminderSettingsForm(forms.Form):
    reminders_enabled = forms.BooleanField(label="Send me a weekly reminder e-mail", required=False)
    weekday = forms.TypedChoiceField(label="Day of the week", choices=Weekday.choices, coerce=int)
    hour = forms.TypedChoiceField(
        label="Time of day",
        choices=[(h, hour_label(h)) for h in range(24)],
        coerce=int,
        help_text="On your own clock, in the time zone below.",
    )
    timezone = forms.ChoiceField(
        label="Your time zone",
        help_text="Your weeks and reminders follow this clock.",
        error_messages={"invalid_choice": "Pick a time zone from the list."},
    )

    def __init__(self, *args, suggest_browser_timezone: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        groups = _timezone_groups()
        current = self.initial.get("timezone")
        listed = {name for _, options in groups for name, _ in options}
        if current and current not in listed and current in zoneinfo.available_timezones():
            # An older alias (e.g. "US/Eastern") set at enrolment stays selectable.
            other = dict(groups).setdefault("Other", [])
            other.append((current, current))
            if ("Other", other) not in groups:
                groups.append(("Other", other))
        self.fields["timezone"].choices = groups
        if suggest_browser_timezone and not self.is_bound:
            # static/js/timezone-default.js picks the browser's zone until the patient saves one.
            self.fields["timezone"].widget.attrs["data-browser-default"] = "true"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "reminders_enabled",
            Fieldset("When to remind you", "weekday", "hour", "timezone"),
            Submit("save", "Save reminder settings", css_class="btn-lg"),
        )
