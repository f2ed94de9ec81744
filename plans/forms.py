"""Patient forms about a session: logging one, correcting one, answering its pain follow-up;
and the warning-sign list the log shares with the symptom report (plans.forms_symptoms). The
reminder settings are in plans.forms_reminders. They validate and normalise; the services save."""

from __future__ import annotations

import uuid
from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout, LayoutObject, Submit
from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.formats import date_format, number_format
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext, pgettext_lazy

from plans import engine
from plans.forms_programme import ProgrammeDone, programme_done_field
from plans.models import SESSION_NOTES_MAX, PainDuration, PainSettled, Plan, RedFlag
from recovery.models import Activity

MINUTES_MAX = 300

# Borg's rating of perceived exertion, with the words printed on the scale itself.
BORG_WORDS = {
    6: pgettext_lazy("Borg scale", "No effort at all"),
    7: pgettext_lazy("Borg scale", "Extremely light"),
    9: pgettext_lazy("Borg scale", "Very light"),
    11: pgettext_lazy("Borg scale", "Light"),
    13: pgettext_lazy("Borg scale", "Somewhat hard"),
    15: pgettext_lazy("Borg scale", "Hard"),
    17: pgettext_lazy("Borg scale", "Very hard"),
    19: pgettext_lazy("Borg scale", "Extremely hard"),
    20: pgettext_lazy("Borg scale", "The hardest you can imagine"),
}
BORG_CHOICES = [("", gettext_lazy("I'd rather not say"))] + [
    (value, format_lazy("{} – {}", value, BORG_WORDS[value]) if value in BORG_WORDS else str(value))
    for value in range(6, 21)
]

SAME_DAY_CHOICES = [(f.value, f.label) for f in RedFlag if f.value in engine.SAME_DAY_FLAGS]
EMERGENCY_CHOICES = [(f.value, f.label) for f in RedFlag if f.value in engine.EMERGENCY_FLAGS]

# The warning-sign list is always answered: a sign, or "None of these" (DESIGN section 1 rule 6).
# An empty list could be "none" or "skipped", and only the patient can tell which.
WARNING_SIGN_FIELDS = ("red_flags_emergency", "red_flags_same_day", "no_red_flags")
# The two messages below are English constants (tests and callers compare them); they are
# translated where they are shown (gettext at add_error).
NO_ANSWER_MESSAGE = gettext_noop("Tick each sign you have, or tick “None of these”.")
NONE_AND_SIGN_MESSAGE = gettext_noop(
    "You ticked “None of these” and a sign: untick whichever is not true."
)
EMERGENCY_LEGEND = gettext_lazy(
    "Call 911 or go to the nearest emergency department now if you have any of these"
)
PAIN_RANGE_MESSAGE = gettext_lazy("Enter a whole number from 0 to 10.")
PAIN_HELP = gettext_lazy("0 means no pain, 10 the worst pain you can imagine.")


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _pain_field(label: str, *, required: bool, missing: str = "", help_text: str = PAIN_HELP):
    messages = {
        "invalid": PAIN_RANGE_MESSAGE,
        "min_value": PAIN_RANGE_MESSAGE,
        "max_value": PAIN_RANGE_MESSAGE,
    }
    if missing:
        messages["required"] = missing
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=0,
        max_value=engine.PAIN_MAX,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages=messages,
    )


class WarningSigns(LayoutObject):
    """The warning-sign list, drawn by its own template (plans/patient/_warning_sign_fields.html):
    one fieldset holding the two tiers, emergency first, and "None of these", with one message
    beside the whole list when it is not answered."""

    template = "plans/patient/_warning_sign_fields.html"

    def __init__(self):
        self.fields = []

    def render(self, form, context, template_pack=None, **kwargs) -> str:
        return render_to_string(self.template, {"form": form})


class _ReportForm(forms.Form):
    """What the log and the symptom report share: the warning-sign list and the one-time token."""

    red_flags_emergency = forms.MultipleChoiceField(
        label=EMERGENCY_LEGEND,
        choices=EMERGENCY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": gettext_lazy("Tick only the signs listed.")},
    )
    red_flags_same_day = forms.MultipleChoiceField(
        label=gettext_lazy(
            "Stop exercising and call your care team today"
        ),  # + the phone, when shown
        choices=SAME_DAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": gettext_lazy("Tick only the signs listed.")},
    )
    no_red_flags = forms.BooleanField(
        label=gettext_lazy("None of these"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    submission_token = forms.UUIDField(widget=forms.HiddenInput)

    warning_signs_legend = gettext_lazy("Do you have any of these?")
    warning_signs_hint = gettext_lazy("Tick each one that is new or getting worse.")

    def _take_token(self) -> None:
        # A form that lost its token gets a fresh one to send again; it is refused this time.
        self.token_replaced = self.is_bound and not _is_uuid(self.data.get("submission_token"))
        if self.token_replaced:
            self.data = self.data.copy()
            self.data["submission_token"] = str(uuid.uuid4())

    def _prepare_to_show(self) -> None:
        """What only a shown form needs: a fresh token and the clinic's phone in the words."""
        if not self.is_bound:
            self.initial.setdefault("submission_token", uuid.uuid4())
        self.clinic_phone = settings.CLINIC_PHONE
        same_day = _("Stop exercising and call your care team today: %(phone)s") % {
            "phone": settings.CLINIC_PHONE
        }
        self.fields["red_flags_same_day"].label = same_day

    def _clean_warning_signs(self, cleaned: dict) -> list[str]:
        """The signs ticked, both tiers together; the list must be answered one way only."""
        if any(name in self._errors for name in WARNING_SIGN_FIELDS):
            return []
        flags = sorted(
            set(cleaned.get("red_flags_emergency", [])) | set(cleaned.get("red_flags_same_day", []))
        )
        none = cleaned.get("no_red_flags", False)
        if not flags and not none:
            self.add_error("no_red_flags", _(NO_ANSWER_MESSAGE))
        elif flags and none:
            self.add_error("no_red_flags", _(NONE_AND_SIGN_MESSAGE))
        return flags

    def _refuse_a_replaced_token(self) -> None:
        if self.token_replaced:
            raise forms.ValidationError(
                _("This form could not be checked. Please look over your answers and send again.")
            )

    @property
    def warning_sign_errors(self) -> list[str]:
        """Every message about the list, shown once beside it."""
        return [error for name in WARNING_SIGN_FIELDS for error in self.errors.get(name, [])]

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(element id, label, message) for each field error, in page order, for the summary
        at the top of the page that links to each field. The warning-sign list is one entry,
        linked to its first box."""
        summary = []
        for field in self.visible_fields():
            if field.name in WARNING_SIGN_FIELDS:
                if field.name == WARNING_SIGN_FIELDS[0]:
                    anchor = f"{field.auto_id}_0"
                    summary.extend(
                        (anchor, _("Warning signs"), e) for e in self.warning_sign_errors
                    )
                continue
            widget = field.field.widget
            anchor = field.auto_id
            if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                anchor = f"{anchor}_0"  # the first option: the group itself has no id
            summary.extend((anchor, field.label, error) for error in field.errors)
        return summary

    def service_field(self, name: str | None) -> str | None:
        """The form field a service error named, or None for an error about the whole form."""
        if name == "red_flags":
            return "no_red_flags"  # shown beside the warning-sign list
        return name if name in self.fields else None


# What a logged session says, as the log and correction services take it (by their own names).
SESSION_ANSWERS = (
    *("activity", "minutes", "pain_before", "pain", "pain_duration", "sharp_pain"),
    *("red_flags", "exertion", "notes"),
)


class SessionLogForm(_ReportForm):
    """One exercise session. Bound to the plan it is logged against and the patient's today.

    Without a plan it only checks what needs none (types, ranges, a known activity, the answered
    warning-sign list, the token): the view saves such a form through the service, which checks
    the plan's own rules under its lock, and shows the form again bound to the plan only when
    something is refused.
    """

    def answers(self) -> dict:
        """The valid form's answers for session_log_create / session_correct (the page and the
        API pass the same)."""
        return {name: self.cleaned_data[name] for name in SESSION_ANSWERS}

    date = forms.DateField(
        label=gettext_lazy("Date of the session"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": gettext_lazy("Enter the date of the session."),
            "invalid": gettext_lazy("Enter the date as a calendar date, for example 2026-11-24."),
        },
    )
    activity = forms.ChoiceField(
        label=gettext_lazy("What did you do?"),
        choices=Activity.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose what you did."),
            "invalid_choice": gettext_lazy("Choose one of the activities listed."),
        },
    )
    minutes = forms.IntegerField(
        label=gettext_lazy("How many minutes did you exercise?"),
        min_value=1,
        max_value=MINUTES_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": gettext_lazy("Enter how many minutes you exercised."),
            "invalid": gettext_lazy("Enter the minutes as a whole number, for example 20."),
            "min_value": gettext_lazy("Enter at least 1 minute."),
            "max_value": format_lazy(gettext_lazy("Enter {n} minutes or fewer."), n=MINUTES_MAX),
        },
    )
    pain_before = _pain_field(
        gettext_lazy("Pain before exercise, from 0 to 10"),
        required=True,
        missing=gettext_lazy("Enter your pain before exercise, a whole number from 0 to 10."),
    )
    pain = _pain_field(
        gettext_lazy("Pain after exercise, from 0 to 10"),
        required=True,
        missing=gettext_lazy("Enter your pain after exercise, a whole number from 0 to 10."),
        help_text=gettext_lazy("Mild muscle soreness is normal."),
    )
    pain_duration = forms.ChoiceField(
        label=gettext_lazy("How long did any raised pain last?"),
        choices=PainDuration.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "If your pain did not go up, choose “Gone within 2 hours”. Logging straight "
            "after exercise? Choose “It has not settled yet” and we will ask you the next day."
        ),
        error_messages={
            "required": gettext_lazy("Choose how long any raised pain lasted."),
            "invalid_choice": gettext_lazy("Choose one of the answers listed."),
        },
    )
    sharp_pain = forms.BooleanField(
        label=gettext_lazy("The pain was sharp, not just a dull ache or soreness"), required=False
    )
    exertion = forms.TypedChoiceField(
        label=gettext_lazy("How hard did it feel? (optional)"),
        choices=BORG_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy(
            "The Borg scale: 6 is no effort at all, 20 the hardest effort you can imagine."
        ),
    )
    notes = forms.CharField(
        label=gettext_lazy("Anything else your care team should know? (optional)"),
        required=False,
        max_length=SESSION_NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": gettext_lazy(
                "Notes can be at most %(limit_value)d characters; yours have "
                "%(show_value)d. Shorten them, or tell your care team the rest at your next visit."
            )
        },
    )

    field_order = [
        "date",
        "activity",
        "minutes",
        "pain_before",
        "pain",
        "pain_duration",
        "sharp_pain",
        "exertion",
        *WARNING_SIGN_FIELDS,
        "notes",
        "submission_token",
    ]
    # The correction form leaves the ticks as they were saved.
    asks_programme = True
    warning_signs_legend = gettext_lazy("Since your last session, have you had any of these?")
    warning_signs_hint = gettext_lazy("Tick each one that is new or getting worse.")
    submit_label = gettext_lazy("Save this session")

    def __init__(self, *args, plan: Plan, today: date, minutes: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.today = today
        self._take_token()
        self._prepare_to_show()
        if not self.is_bound:
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
        for name in ("pain_before", "pain"):
            self.fields[name].widget.attrs.update({"min": 0, "max": engine.PAIN_MAX})
        # Notes raise no alert (rule 6): say so, and where a sign belongs instead. No maxlength
        # attribute (a browser cuts a long paste short silently): the limit is said, counted
        # (static/js/patient-forms.js) and checked beside the field.
        notes = self.fields["notes"]
        notes.help_text = _(
            "Up to %(limit)s characters. Notes are read at your next review, not "
            "straight away. For a warning sign, tick it in the list above, or call %(phone)s."
        ) % {
            "limit": number_format(SESSION_NOTES_MAX, force_grouping=True),
            "phone": settings.CLINIC_PHONE,
        }
        notes.widget.attrs.pop("maxlength", None)
        notes.widget.attrs.update(
            {
                "data-limit": SESSION_NOTES_MAX,
                # static/js/patient-forms.js fills in the numbers, in the page's language.
                "data-counter": _("{used} of {limit} characters"),
                "data-counter-over": _("{used} of {limit} characters: {over} too many"),
            }
        )
        self.set_week_minutes(minutes)
        if self.asks_programme:
            self.fields["exercises_done"] = programme_done_field(plan)

    @cached_property
    def helper(self) -> FormHelper:
        """How the page draws the form, built when it is drawn: a session saved at once (most
        POSTs) never needs it, and building it costs about a millisecond."""
        helper = FormHelper()
        helper.form_tag = False
        helper.form_show_errors = True
        helper.layout = Layout(
            Fieldset(_("Your session"), "date", "activity", "minutes"),
            Fieldset(
                _("How it felt"),
                "pain_before",
                "pain",
                "pain_duration",
                "sharp_pain",
                "exertion",
            ),
            WarningSigns(),
            *([ProgrammeDone()] if self.asks_programme else []),
            "notes",
            HTML('<p class="form-text mt-n2 mb-3" id="id_notes_counter"></p>'),
            "submission_token",
            Submit("save", self.submit_label, css_class="btn-lg"),
        )
        return helper

    def set_week_minutes(self, minutes: int | None, *, keep_to: int | None = None) -> None:
        """Say this week's prescription beside the minutes field, or, after a session that went
        too fast this week, the minutes to keep to for the rest of it."""
        if keep_to:
            self.fields["minutes"].help_text = _(
                "After the pain this week, keep sessions to %(n)d minutes for the rest of "
                "the week, and only once the pain has settled. Enter what you actually did."
            ) % {"n": keep_to}
        elif minutes:
            self.fields["minutes"].help_text = _(
                "This week's plan is %(n)d minutes a session. "
                "Enter what you actually did, even if it was less."
            ) % {"n": minutes}

    def clean_date(self) -> date:
        day = self.cleaned_data["date"]
        if day > self.today:
            raise forms.ValidationError(_("The date cannot be in the future."))
        if day < self.plan.start_date:
            raise forms.ValidationError(
                _("Your plan started on %(day)s; pick that day or later.")
                % {
                    "day": date_format(
                        self.plan.start_date, pgettext("date format: day, month and year", "j F Y")
                    )
                }
            )
        return day

    def clean_notes(self) -> str:
        return self.cleaned_data["notes"].strip()

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["red_flags"] = self._clean_warning_signs(cleaned)
        self._refuse_a_replaced_token()
        return cleaned


class SessionCorrectForm(SessionLogForm):
    """The log form for correcting a saved session (within CORRECTION_HOURS): its answers filled
    in, its day fixed (another day is another session: delete this one and log that one)."""

    submit_label = gettext_lazy("Save the correction")
    asks_programme = False

    def __init__(self, *args, log, today: date, **kwargs):
        answers = {
            "date": log.date,
            "activity": log.activity,
            "minutes": log.minutes,
            "pain_before": log.pain_before,
            "pain": log.pain,
            "pain_duration": log.pain_duration,
            "sharp_pain": log.sharp_pain,
            "exertion": log.exertion,
            "notes": log.notes,
            # A session that can be corrected raised no alert, so it named no warning sign.
            "no_red_flags": not log.red_flags,
        }
        kwargs["initial"] = {**answers, **kwargs.get("initial", {})}
        super().__init__(*args, plan=log.plan, today=today, **kwargs)
        date_field = self.fields["date"]
        date_field.disabled = True
        date_field.help_text = _(
            "The day stays. For another day, delete this session and log that one instead."
        )


class PainFollowUpForm(forms.Form):
    """The next day's answer for a session logged before its pain settled."""

    settled = forms.ChoiceField(
        choices=PainSettled.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose when the pain settled."),
            "invalid_choice": gettext_lazy("Choose one of the answers listed."),
        },
    )
