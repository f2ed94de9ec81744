"""Hostile and malformed input to every form (SECURITY-CHECKS.md 11 and 12).

Each test first posts one valid submission carrying every mass-assignment field a crafted form
could add (patient, plan, status, approved_by, decided_by, id, user, role, is_staff ...) and checks
that only the legitimate effect happened. Then Hypothesis posts generated input: wrong types, huge
numbers, unicode with NUL and right-to-left marks, empty and very long text, missing, repeated and
extra fields, impossible dates, negative minutes, pain 11, markup. The answer is always a page with
field errors (200 or 400), a redirect, or a 429 from a rate limit; never a 500. Nothing is stored
unless the form was valid, and a valid submission does exactly its one job.

Every example runs in a savepoint that is rolled back, so each one meets the same world. Each
test also asserts that its examples included both accepted and refused submissions, so a
strategy that only ever produced one kind would fail rather than pass without checking anything.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django import forms
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given
from hypothesis import strategies as st

from plans import engine
from plans import services as plan_services
from plans.forms_clinic import RULE_FIELDS
from plans.forms_reminders import ReminderSettingsForm
from plans.models import (
    Alert,
    PainDuration,
    PainFollowUp,
    PainSettled,
    Plan,
    PlanStatus,
    PlanWeek,
    ProgrammeItem,
    RedFlag,
    SessionExercise,
    SessionLog,
    SymptomReport,
)
from plans.programme import programme_exercises
from plans.services import clearance_decline, programme_field
from plans.views_clinic import PLAN_ACTIONS
from recovery.models import (
    Clearance,
    ClearanceEvent,
    ClearanceStatus,
    PatientProfile,
    Role,
    TreatmentType,
    User,
    activities_for_stage,
)
from tests.conftest import MODEL_BACKEND, PASSWORD
from tests.support import FUZZ, add_exercises, iso

pytestmark = pytest.mark.django_db

ANSWERS = {200, 302, 400, 409, 429}

# --- what a hostile client sends -----------------------------------------------------------------

ODD = [
    "",
    " ",
    "\x00",
    "12\x00",
    "a\x00b",
    "\u202egnp.exe",  # right-to-left override
    "\u200f\u202bمرحبا",  # right-to-left mark and embedding
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "%00",
    "\r\n\t",
    "🦴" * 5,
    "١٢",  # Arabic-Indic digits
    "１２",  # full-width digits
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "1e999999999",
    "-0",
    "0x1F",
    "1_000",
    " 12 ",
    "12.5",
    "12,5",
    "-5",
    "-1",
    "11",
    "301",
    "True",
    "None",
    "null",
    "[]",
    "{}",
    "9" * 5000,  # past Python's int-from-string limit
    "-" + "9" * 40,
    "2026-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-13-01",
    "yesterday",
    "31/12/2026",
    "x" * 300_000,  # larger than DATA_UPLOAD_MAX_MEMORY_SIZE
]
hostile = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=40),  # any unicode, NUL and control characters included
    st.integers(min_value=2_001, max_value=20_000).map(lambda n: "x" * n),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats().map(str),
)
# Fields a crafted form might add, hoping a view saves them.
MASS_ASSIGNMENT = [
    "id",
    "pk",
    "patient",
    "patient_id",
    "plan",
    "user",
    "clinician",
    "status",
    "approved_by",
    "decided_by",
    "acknowledged_by",
    "role",
    "is_staff",
    "is_superuser",
]
extra_value = st.one_of(
    st.integers(min_value=0, max_value=50).map(str),
    st.sampled_from(["approved", "declined", "completed", "active", "clinician", "on", "true"]),
)


def any_value(valid: st.SearchStrategy) -> st.SearchStrategy:
    """A field's value: valid, hostile, or the field repeated with several values."""
    return st.one_of(valid, hostile, st.lists(st.one_of(valid, hostile), min_size=2, max_size=3))


def submissions(fields: dict[str, st.SearchStrategy], fixed: dict | None = None):
    """Valid submissions, submissions with some fields hostile, and hostile ones with any field
    missing; each may carry mass-assignment fields."""
    extras = dict.fromkeys(MASS_ASSIGNMENT, extra_value)
    valid = st.fixed_dictionaries(fields, optional=extras)
    mixed = st.fixed_dictionaries(
        {name: st.one_of(s, s, hostile) for name, s in fields.items()}, optional=extras
    )
    wild = st.fixed_dictionaries({}, optional={**{n: any_value(s) for n, s in fields.items()}})
    return st.one_of(valid, mixed, wild).map(lambda data: {**data, **(fixed or {})})


def every_extra(prefix: str = "", **ids) -> dict[str, str]:
    """One of each mass-assignment field, with and without the form's prefix."""
    extras = {name: str(ids.get(name, "1")) for name in MASS_ASSIGNMENT}
    extras |= {"status": "approved", "role": Role.CLINICIAN, "is_staff": "on"}
    extras |= {"is_superuser": "on"}
    if prefix:
        extras |= {f"{prefix}-{name}": value for name, value in extras.items()}
    return extras


# --- the harness ---------------------------------------------------------------------------------

ACCEPTED, REFUSED = "accepted", "refused"


def fuzz(strategy: st.SearchStrategy, submit: Callable[[dict], str], *, both=True) -> Counter:
    """Run `submit` (which posts and checks, returning ACCEPTED or REFUSED) on generated
    submissions, each in a savepoint rolled back afterwards."""
    seen: Counter = Counter()

    @FUZZ
    @given(data=strategy)
    def run(data: dict) -> None:
        with transaction.atomic():
            cache.clear()  # each example is judged on its own, not on the rate limit
            seen[submit(data)] += 1
            transaction.set_rollback(True)

    run()
    if both:
        assert seen[ACCEPTED] and seen[REFUSED], f"the examples missed an outcome: {seen}"
    return seen


def once(submit: Callable[[dict], str], data: dict) -> str:
    with transaction.atomic():
        cache.clear()
        outcome = submit(data)
        transaction.set_rollback(True)
    return outcome


def post(client: Client, url: str, data: dict):
    response = client.post(url, data)
    assert response.status_code in ANSWERS, (response.status_code, data)
    return response


def errors_shown(response, form: str = "form", action: str | None = None) -> bool:
    """A re-rendered form says what is wrong. A body too large for any form (400), a rate limit
    (429) and a plan that takes no sessions (409) answer without one."""
    context = response.context
    if context is None or (form not in context and "forms" not in context):
        return response.status_code in {400, 409, 429}
    bound = context["forms"][action] if action else context[form]
    return bool(bound.errors)


def sent(data: dict, name: str) -> str:
    """What the view reads for a field: the last of repeated values."""
    value = data.get(name, "")
    return value[-1] if isinstance(value, list) else value


def as_query_dict(data: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in data.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    return query


def unknown_actions(known: set[str]) -> st.SearchStrategy:
    action = st.one_of(hostile, st.lists(hostile, min_size=2, max_size=3))
    return st.fixed_dictionaries({"action": action}).filter(
        lambda data: sent(data, "action") not in known
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def rows(model_or_queryset, *fields) -> list[tuple]:
    queryset = getattr(model_or_queryset, "objects", model_or_queryset)
    return list(queryset.order_by("pk").values_list(*fields))


USER_STATE = [f.attname for f in User._meta.concrete_fields]


def clinical_state() -> dict[str, list]:
    return {
        "users": rows(User, *USER_STATE),
        "patients": rows(PatientProfile),
        "clearances": rows(Clearance),
        "events": rows(ClearanceEvent, "pk"),
        "plans": rows(Plan),
        "weeks": rows(PlanWeek, "pk"),
        "logs": rows(SessionLog),
        "alerts": rows(Alert),
        "reports": rows(SymptomReport),
        "follow_ups": rows(PainFollowUp),
    }


def changed(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after[name]}


# --- patients ------------------------------------------------------------------------------------


@pytest.fixture
def ana_client(client, ana_plan):
    client.force_login(ana_plan.patient.user, backend=MODEL_BACKEND)
    return client


def test_session_form(ana_client, ana_plan, ben_plan):
    patient = ana_plan.patient
    today = plan_services.patient_today(patient)
    same_day = [f.value for f in RedFlag if f.value in engine.SAME_DAY_FLAGS]
    fields = {
        "date": st.dates(min_value=ana_plan.start_date, max_value=today).map(iso),
        "activity": st.sampled_from(ana_plan.allowed_activities),
        "minutes": st.integers(min_value=1, max_value=300).map(str),
        "pain_before": st.integers(min_value=0, max_value=10).map(str),
        "pain": st.integers(min_value=0, max_value=10).map(str),
        "pain_duration": st.sampled_from(PainDuration.values),
        "sharp_pain": st.sampled_from(["", "on"]),
        "red_flags_same_day": st.lists(st.sampled_from(same_day), max_size=1, unique=True),
        # Mostly "None of these"; with a sign ticked too, the form must refuse it.
        "no_red_flags": st.sampled_from(["on", "on", "on", ""]),
        "exertion": st.one_of(st.just(""), st.integers(min_value=6, max_value=20).map(str)),
        "notes": st.text(max_size=200),
        "submission_token": st.uuids().map(str),
    }

    ben_plans = rows(Plan.objects.exclude(pk=ana_plan.pk))

    def submit(data: dict) -> str:
        before = clinical_state()
        response = post(ana_client, "/me/sessions/new/", data)
        after = clinical_state()
        if response.status_code != 302:
            assert not changed(before, after), data
            assert errors_shown(response), data
            return REFUSED
        log = SessionLog.objects.latest("pk")
        assert response["Location"] == f"/me/sessions/{log.pk}/saved/"
        assert len(after["logs"]) == len(before["logs"]) + 1
        assert log.plan_id == ana_plan.pk
        assert log.minutes == forms.IntegerField().clean(sent(data, "minutes"))
        assert log.notes == sent(data, "notes").strip() and "\x00" not in log.notes
        assert 0 <= log.pain <= 10 and 0 <= log.pain_before <= 10
        assert log.pain_duration == sent(data, "pain_duration")
        # The list was answered one way only: a sign, or "None of these".
        assert bool(log.red_flags) != (sent(data, "no_red_flags") == "on")
        assert rows(Plan.objects.exclude(pk=ana_plan.pk)) == ben_plans  # Ben's untouched
        return ACCEPTED

    valid = {
        "date": iso(today),
        "activity": "walking",
        "minutes": "20",
        "pain_before": "1",
        "pain": "2",
        "pain_duration": "within_2h",
        "no_red_flags": "on",
        "notes": "Fine.",
        "submission_token": str(uuid.uuid4()),
    }
    extras = every_extra(plan=ben_plan.pk, patient=ben_plan.patient.pk, id=1)
    assert once(submit, {**valid, **extras}) == ACCEPTED
    fuzz(submissions(fields), submit)


def test_session_form_refuses_the_classic_bad_values(ana_client, ana_plan):
    """The values the issue names, one at a time on an otherwise valid session."""
    today = plan_services.patient_today(ana_plan.patient)
    valid = {
        "date": iso(today),
        "activity": "walking",
        "minutes": "20",
        "pain_before": "1",
        "pain": "2",
        "pain_duration": "within_2h",
        "no_red_flags": "on",
    }
    bad = [
        {"minutes": "-5"},
        {"minutes": "0"},
        {"minutes": "99999999999999999999"},
        {"pain": "11"},
        {"pain": "-1"},
        {"pain": ""},
        {"pain_before": ""},
        {"pain_before": "11"},
        {"pain_duration": ""},
        {"pain_duration": "72"},
        {"no_red_flags": ""},  # the warning-sign list left unanswered
        {"red_flags_same_day": ["fall"]},  # a sign and "None of these"
        {"red_flags_emergency": ["not_a_sign"], "no_red_flags": ""},
        {"date": iso(today + timedelta(days=1))},
        {"date": "2026-02-30"},
        {"date": iso(ana_plan.start_date - timedelta(days=1))},
        {"activity": "running"},  # not allowed at her stage
        {"notes": "x" * 2001},
        {"notes": "a\x00b"},
        {"exertion": "21"},
    ]
    for change in bad:
        data = {**valid, "submission_token": str(uuid.uuid4()), **change}
        count = SessionLog.objects.count()
        response = post(ana_client, "/me/sessions/new/", data)
        assert response.status_code == 200 and errors_shown(response), change
        assert SessionLog.objects.count() == count, change


def test_reminder_settings_form(ana_client, ana_plan, dr_dev, ben):
    patient = ana_plan.patient
    fields = {
        "reminders_enabled": st.sampled_from(["", "on"]),
        "weekday": st.integers(min_value=0, max_value=6).map(str),
        "hour": st.integers(min_value=0, max_value=23).map(str),
        "timezone": st.sampled_from(["Europe/London", "America/New_York", "Asia/Kolkata", "UTC"]),
    }
    fixed = ("user_id", "clinician_id", "created_at")

    def submit(data: dict) -> str:
        before = clinical_state()
        own = rows(PatientProfile.objects.filter(pk=patient.pk), *fixed)
        response = post(ana_client, "/me/settings/", data)
        after = clinical_state()
        if response.status_code != 302:
            assert not changed(before, after), data
            assert errors_shown(response), data
            return REFUSED
        assert changed(before, after) <= {"patients"}
        assert rows(PatientProfile.objects.filter(pk=patient.pk), *fixed) == own
        saved = PatientProfile.objects.get(pk=patient.pk)
        # Stored exactly what the form cleaned (a checkbox is ticked by any value but "false").
        form = ReminderSettingsForm(as_query_dict(data))
        assert form.is_valid(), data
        clean = form.cleaned_data
        assert (
            saved.reminders_enabled,
            saved.reminder_weekday,
            saved.reminder_hour,
            saved.timezone,
        ) == (clean["reminders_enabled"], clean["weekday"], clean["hour"], clean["timezone"])
        others = [row for row in after["patients"] if row[0] != patient.pk]
        assert others == [row for row in before["patients"] if row[0] != patient.pk]
        return ACCEPTED

    valid = {"reminders_enabled": "on", "weekday": "3", "hour": "7", "timezone": "Europe/London"}
    extras = every_extra(clinician=dr_dev.pk, user=ben.user.pk, patient=ben.pk, id=ben.pk)
    assert once(submit, {**valid, **extras}) == ACCEPTED
    fuzz(submissions(fields), submit)


def test_symptom_report_form(ana_client, ana_plan, ben_plan):
    """/me/symptoms/new/: a sign or pain now, the list answered one way only; a valid report
    stores exactly one report of Ana's and touches nobody else."""
    patient = ana_plan.patient
    emergency = [f.value for f in RedFlag if f.value in engine.EMERGENCY_FLAGS]
    same_day = [f.value for f in RedFlag if f.value in engine.SAME_DAY_FLAGS]
    none: st.SearchStrategy = st.just([])  # mostly no sign, so that "None of these" often fits
    fields = {
        "red_flags_emergency": st.one_of(
            none, none, st.lists(st.sampled_from(emergency), max_size=1)
        ),
        "red_flags_same_day": st.one_of(none, st.lists(st.sampled_from(same_day), max_size=2)),
        "no_red_flags": st.sampled_from(["on", "on", ""]),
        "pain_now": st.one_of(st.just(""), st.integers(min_value=0, max_value=10).map(str)),
        "submission_token": st.uuids().map(str),
    }
    ben_state = rows(Plan.objects.filter(pk=ben_plan.pk))

    def submit(data: dict) -> str:
        before = clinical_state()
        response = post(ana_client, "/me/symptoms/new/", data)
        after = clinical_state()
        if response.status_code != 302:
            assert not changed(before, after), data
            assert errors_shown(response), data
            return REFUSED
        report = SymptomReport.objects.latest("pk")
        assert response["Location"] == f"/me/symptoms/{report.pk}/"
        assert len(after["reports"]) == len(before["reports"]) + 1
        assert report.patient_id == patient.pk
        assert set(report.red_flags) <= set(RedFlag.values)
        assert report.red_flags or report.pain_now is not None
        assert bool(report.red_flags) != (sent(data, "no_red_flags") == "on")
        assert report.pain_now is None or 0 <= report.pain_now <= 10
        assert rows(Plan.objects.filter(pk=ben_plan.pk)) == ben_state  # Ben's untouched
        return ACCEPTED

    valid = {"no_red_flags": "on", "pain_now": "4", "submission_token": str(uuid.uuid4())}
    extras = every_extra(plan=ben_plan.pk, patient=ben_plan.patient.pk, id=1)
    assert once(submit, {**valid, **extras}) == ACCEPTED
    fuzz(submissions(fields), submit)


def test_pain_follow_up_form(ana_client, ana_plan, ben_plan):
    """The next day's answer: one follow-up of Ana's own session at most, and the answer page is
    always one of hers (`back` names a page; it is never a URL to follow)."""
    patient = ana_plan.patient
    yesterday = plan_services.patient_today(patient) - timedelta(days=1)
    log = plan_services.session_log_create(
        patient=patient,
        day=yesterday,
        activity="walking",
        minutes=15,
        pain_before=2,
        pain=5,
        pain_duration=PainDuration.NOT_SETTLED,
    ).log
    fields = {
        "settled": st.sampled_from(PainSettled.values),
        "back": st.sampled_from(["dashboard", "session_new", "https://evil.example/", "//x"]),
    }

    def submit(data: dict) -> str:
        before = clinical_state()
        response = post(ana_client, f"/me/sessions/{log.pk}/follow-up/", data)
        after = clinical_state()
        assert response.status_code == 302, data
        assert response["Location"] in {"/me/", "/me/sessions/new/"}, response["Location"]
        if sent(data, "settled") not in PainSettled.values:
            assert not changed(before, after), data
            return REFUSED
        assert [row[1] for row in after["follow_ups"]] == [log.pk]
        return ACCEPTED

    assert once(submit, {"settled": "later", "back": "dashboard", **every_extra()}) == ACCEPTED
    fuzz(submissions(fields), submit)


# --- clinicians ----------------------------------------------------------------------------------


def test_enrol_form(cho_client, dr_cho, dr_dev):
    today = date.today()
    types = list(TreatmentType.objects.filter(active=True).values_list("pk", flat=True))
    name = st.text(st.characters(categories=["L"]), min_size=1, max_size=30)
    fields = {
        "first_name": name,
        "last_name": name,
        "email": st.from_regex(r"[a-z]{1,12}\.[a-z]{1,12}@example\.org", fullmatch=True),
        "treatment_type": st.sampled_from(types).map(str),
        "procedure_date": st.dates(today - timedelta(days=400), today).map(iso),
        "timezone": st.sampled_from(["America/New_York", "Europe/Berlin", "Asia/Tokyo"]),
        "date_of_birth": st.dates(date(1890, 1, 1), today + timedelta(days=3)).map(iso),
        "phone": st.sampled_from(["(555) 010-2030", "+1 555 010 2031", "12345", "call me", ""]),
        "record_number": st.sampled_from(["", "MRN-1", "mrn-1", "x" * 40]),
    }

    def submit(data: dict) -> str:
        before = clinical_state()
        response = post(cho_client, "/clinic/patients/new/", data)
        after = clinical_state()
        if response.status_code != 302:
            assert response.status_code == 400, data
            assert not changed(before, after), data
            assert errors_shown(response), data
            return REFUSED
        patient = PatientProfile.objects.latest("pk")
        assert response["Location"] == f"/clinic/patients/{patient.pk}/"
        assert len(after["users"]) == len(before["users"]) + 1
        assert len(after["patients"]) == len(before["patients"]) + 1
        user = patient.user
        assert patient.clinician_id == dr_cho.pk
        assert (user.role, user.is_staff, user.is_superuser) == (Role.PATIENT, False, False)
        assert user.email.lower() == sent(data, "email").strip().lower()
        assert user.first_name == " ".join(sent(data, "first_name").split())
        assert patient.clearances.get().status == ClearanceStatus.PENDING
        born = patient.date_of_birth
        assert born is not None and date(1900, 1, 1) <= born <= today
        assert 7 <= sum(c.isdigit() for c in patient.phone) <= 15
        return ACCEPTED

    valid = {
        "first_name": "Cara",
        "last_name": "Newman",
        "email": "cara@example.org",
        "treatment_type": str(types[0]),
        "procedure_date": iso(today - timedelta(days=30)),
        "timezone": "America/New_York",
        "date_of_birth": "1961-04-23",
        "phone": "(555) 010-2030",
    }
    extras = every_extra(clinician=dr_dev.pk, user=dr_cho.pk)
    assert once(submit, {**valid, **extras}) == ACCEPTED
    fuzz(submissions(fields), submit)


def rules_fields(prefix: str) -> dict[str, st.SearchStrategy]:
    minutes = st.integers(engine.START_MINUTES_MIN, engine.START_MINUTES_MAX).map(str)
    step = st.integers(engine.INCREMENT_MIN, engine.INCREMENT_MAX).map(str)
    return {
        f"{prefix}-start_minutes": minutes,
        f"{prefix}-min_increment": step,
        f"{prefix}-max_increment": step,  # below the smallest step in about half the cases
        f"{prefix}-target_minutes": st.integers(15, engine.TARGET_MINUTES_MAX).map(str),
        f"{prefix}-sessions_per_week": st.integers(1, 7).map(str),
    }


def valid_rules(prefix: str) -> dict[str, str]:
    values = {"start_minutes": 10, "min_increment": 5, "max_increment": 10}
    values |= {"target_minutes": 40, "sessions_per_week": 3}
    return {f"{prefix}-{name}": str(value) for name, value in values.items()}


def check_clinic_answer(response, data, before, after, *, action: str, effect) -> str:
    """400 with errors and nothing changed; or a redirect that either did its one job or said
    that nothing was changed (the record's state refused it)."""
    if response.status_code != 302:
        assert response.status_code == 400, data
        assert not changed(before, after), data
        if data.get("action") == action:
            assert errors_shown(response, action=action), data
        return REFUSED
    said = " ".join(messages_of(response))
    if "Nothing was changed" in said:
        assert not changed(before, after), data
        return REFUSED
    effect(before, after)
    return ACCEPTED


@pytest.fixture
def cara(dr_cho):
    """A second patient of Dr Cho's with a running plan, for the revoke and plan actions."""
    from tests.conftest import approve, make_patient

    procedure = date.today() - timedelta(days=120)
    patient = make_patient(
        "cara", "Cara", dr_cho, treatment="Lumbar fusion", procedure_date=procedure
    )
    return approve(patient, start=plan_services.patient_today(patient) - timedelta(days=3))


@pytest.mark.parametrize("action", ["approve", "decline", "revoke", "request", "unknown"])
def test_clearance_forms(cho_client, ana, cara, ben, dr_cho, dr_dev, action):
    today = plan_services.patient_today(ana)
    patient = cara.patient if action == "revoke" else ana
    if action == "request":
        clearance_decline(
            clearance=ana.clearances.get(), actor=dr_cho, reason="Not yet: review in two weeks."
        )
    url = f"/clinic/patients/{patient.pk}/clearance/"
    clearance = Clearance.objects.filter(patient=patient).latest("pk")
    reason = st.text(min_size=10, max_size=300)
    if action == "approve":
        fields = {
            **rules_fields("approve"),
            "approve-start_date": st.dates(today, today + timedelta(days=60)).map(iso),
            "approve-max_stage": st.sampled_from(["1", "2", "3"]),
            "approve-allowed_activities": st.lists(
                st.sampled_from(activities_for_stage(3)), min_size=1, unique=True
            ),
            "approve-restrictions": st.text(max_size=300),
            "approve-override_reason": reason,
            "approve-stage_override_reason": st.one_of(
                st.sampled_from(["", "too soon", "Reviewed in clinic: strong and healed."]),
                st.text(max_size=60),
            ),
            # No wound after an injection: the field is not on Ana's form, so it is ignored.
            "approve-wound_healed_on": st.dates(today - timedelta(days=30), today).map(iso),
        }
        valid = {**valid_rules("approve"), "approve-start_date": iso(today)}
        valid |= {"approve-max_stage": "2", "approve-allowed_activities": ["walking"]}
        valid |= {"approve-restrictions": "No lifting over 5 kg."}
        valid |= {"approve-override_reason": "Healing well; reviewed in clinic today."}
    elif action in {"decline", "revoke"}:
        fields = {f"{action}-reason": reason}
        valid = {f"{action}-reason": "Imaging shows this needs more time."}
    else:
        fields, valid = {}, {}
    fixed = {"action": action}
    others = Plan.objects.exclude(patient=patient), Clearance.objects.exclude(patient=patient)
    others_before = [rows(queryset) for queryset in others]

    def effect(before, after):
        changed_rows = changed(before, after)
        assert "users" not in changed_rows and "patients" not in changed_rows
        if action == "request":
            new = Clearance.objects.filter(patient=patient).latest("pk")
            assert new.pk != clearance.pk and new.status == ClearanceStatus.PENDING
            return
        clearance.refresh_from_db()
        assert clearance.decided_by_id == dr_cho.pk and clearance.patient_id == patient.pk
        expected = {"approve": "approved", "decline": "declined", "revoke": "revoked"}[action]
        assert clearance.status == expected
        assert len(after["events"]) == len(before["events"]) + 1
        new_plans = len(after["plans"]) - len(before["plans"])
        assert new_plans == (1 if action == "approve" else 0)
        if action == "approve":
            plan = Plan.objects.get(clearance=clearance)
            assert plan.patient_id == patient.pk and plan.status == PlanStatus.ACTIVE
            # A stage before its gate carries a reason of at least 20 characters, or none.
            assert plan.stage_override_reason == "" or len(plan.stage_override_reason) >= 20
            assert clearance.wound_healed_on is None
        if action == "revoke":
            assert Plan.objects.get(pk=cara.pk).status == PlanStatus.PAUSED

    def submit(data: dict) -> str:
        before = clinical_state()
        response = post(cho_client, url, data)
        after = clinical_state()
        # Whatever happened, no other patient's plan or clearance moved.
        assert [rows(queryset) for queryset in others] == others_before, data
        return check_clinic_answer(response, data, before, after, action=action, effect=effect)

    if action == "unknown":  # the action itself is hostile: 400 and nothing changed
        fuzz(unknown_actions({"approve", "decline", "revoke", "request"}), submit, both=False)
        return
    extras = every_extra(
        action, patient=ben.pk, decided_by=dr_dev.pk, approved_by=dr_dev.pk, plan=ben.pk
    )
    assert once(submit, {**valid, **fixed, **extras}) == ACCEPTED
    # "request" has no fields: only mass-assignment fields vary, so every example is accepted.
    fuzz(submissions(fields, fixed), submit, both=action != "request")


@pytest.mark.parametrize("action", ["precautions", "wound"])
def test_clearance_detail_forms(cho_client, cara, ben, dr_dev, action):
    """The precautions and the wound date of an approved surgical clearance (issue 18): any
    submission either stores dates and a limit inside their bounds, or nothing."""
    clearance = cara.clearance
    procedure = clearance.treatment.procedure_date
    today = plan_services.patient_today(cara.patient)
    url = f"/clinic/patients/{cara.patient_id}/clearance/"
    around = st.dates(procedure - timedelta(days=30), today + timedelta(days=800)).map(iso)
    if action == "precautions":
        fields = {
            "precautions-no_bending_until": st.one_of(st.just(""), around),
            "precautions-lifting_limit_kg": st.one_of(
                st.just(""),
                st.decimals(min_value=0, max_value=100, places=1).map(str),
                st.sampled_from(["0.4", "0.5", "50", "50.1", "4,5", "1e2", "-3", "NaN"]),
            ),
            "precautions-lifting_limit_until": st.one_of(st.just(""), around),
        }
        soon = iso(today + timedelta(days=14))
        valid = {
            "precautions-no_bending_until": soon,
            "precautions-lifting_limit_kg": "4.5",
            "precautions-lifting_limit_until": soon,
        }
    else:
        fields = {"wound-wound_healed_on": st.one_of(st.just(""), around)}
        valid = {"wound-wound_healed_on": iso(today - timedelta(days=3))}
    fixed = {"action": action}
    others_before = rows(Clearance.objects.exclude(pk=clearance.pk))

    def effect(before, after):
        assert changed(before, after) <= {"clearances"}
        clearance.refresh_from_db()
        assert clearance.patient_id == cara.patient_id and clearance.status == "approved"
        if action == "wound":
            assert procedure <= clearance.wound_healed_on <= today
            return
        limit, until = clearance.lifting_limit_kg, clearance.lifting_limit_until
        assert (limit is None) == (until is None)
        assert limit is None or Decimal("0.5") <= limit <= Decimal("50")
        for day in (clearance.no_bending_until, until):
            assert day is None or procedure <= day <= procedure + timedelta(days=731)

    def submit(data: dict) -> str:
        before = clinical_state()
        response = post(cho_client, url, data)
        after = clinical_state()
        assert rows(Clearance.objects.exclude(pk=clearance.pk)) == others_before, data
        return check_clinic_answer(response, data, before, after, action=action, effect=effect)

    extras = every_extra(action, patient=ben.pk, decided_by=dr_dev.pk, plan=ben.pk)
    assert once(submit, {**valid, **fixed, **extras}) == ACCEPTED
    fuzz(submissions(fields, fixed), submit)


@pytest.mark.parametrize("action", ["pause", "resume", "rules", "stage", "unknown"])
def test_plan_forms(cho_client, cara, ben_plan, dr_cho, dr_dev, action):
    plan = cara
    if action == "resume":
        plan_services.plan_pause(plan=plan, actor=dr_cho, reason="Paused for the fuzz test.")
    url = f"/clinic/patients/{plan.patient_id}/plan/"
    if action == "pause":
        fields = {"pause-reason": st.text(min_size=10, max_size=300)}
        valid = {"pause-reason": "Flare-up reported by phone."}
    elif action == "resume":
        minutes = st.integers(engine.START_MINUTES_MIN, engine.START_MINUTES_MAX)
        fields = {"resume-start_minutes": minutes.map(str)}
        valid = {"resume-start_minutes": "10"}
    elif action == "rules":
        fields, valid = rules_fields("rules"), valid_rules("rules")
    elif action == "stage":
        fields = {
            "stage-stage": st.sampled_from(["1", "2", "3", "4"]),
            "stage-signed_off": st.sampled_from(["", "on"]),
            "stage-stage_override_reason": st.sampled_from(
                ["", "too soon", "Reviewed in clinic: strong and fully healed."]
            ),
        }
        valid = {
            "stage-stage": "4",
            "stage-signed_off": "on",
            "stage-stage_override_reason": "Reviewed in clinic: strong and fully healed.",
        }
    else:
        fields, valid = {}, {}
    fixed = {"action": action}
    ben_before = rows(Plan.objects.filter(patient=ben_plan.patient))

    data: dict = {}

    def effect(before, after):
        assert rows(Plan.objects.filter(patient=ben_plan.patient)) == ben_before
        assert "users" not in changed(before, after) and "patients" not in changed(before, after)
        current = Plan.objects.filter(patient=plan.patient).latest("pk")
        if action == "pause":
            assert current.pk == plan.pk and current.status == PlanStatus.PAUSED
            assert current.pause_reason == sent(data, "pause-reason").strip()
        elif action == "resume":
            assert current.restarted_from_id == plan.pk and current.status == PlanStatus.ACTIVE
            assert current.start_minutes == int(sent(data, "resume-start_minutes"))
            assert len(after["plans"]) == len(before["plans"]) + 1
        elif action == "rules":
            assert current.pk == plan.pk and current.status == PlanStatus.ACTIVE
            for name in RULE_FIELDS:
                assert getattr(current, name) == int(sent(data, f"rules-{name}")), name
        else:
            assert current.pk == plan.pk and current.stage == int(sent(data, "stage-stage"))

    def submit(posted: dict) -> str:
        data.clear()
        data.update(posted)
        before = clinical_state()
        response = post(cho_client, url, posted)
        after = clinical_state()
        assert rows(Plan.objects.filter(patient=ben_plan.patient)) == ben_before, posted
        return check_clinic_answer(response, posted, before, after, action=action, effect=effect)

    if action == "unknown":  # the action itself is hostile: 400 and nothing changed
        fuzz(unknown_actions(set(PLAN_ACTIONS)), submit, both=False)
        return
    extras = every_extra(action, plan=ben_plan.pk, patient=ben_plan.patient.pk, id=ben_plan.pk)
    assert once(submit, {**valid, **fixed, **extras}) == ACCEPTED
    fuzz(submissions(fields, fixed), submit)


# --- signing in ----------------------------------------------------------------------------------

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:evil.example",
    " //evil.example",
    "/me/",
    "/admin/",
    "",
]


def on_site(location: str) -> bool:
    """A path on this site, absolute or relative: no scheme, no host, no protocol-relative URL."""
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and not location.startswith(("//", "/\\", "\\"))
        and url_has_allowed_host_and_scheme(location, {"testserver"})
    )


def test_login_form(ana, dr_cho):
    fields = {
        "username": st.sampled_from(["ana", "drcho", "ANA", "ana ", "nobody"]),
        "password": st.sampled_from([PASSWORD, PASSWORD.upper(), "", "wrong-password-1"]),
        "next": st.sampled_from(OFF_SITE),
    }

    def submit(data: dict) -> str:
        users = rows(User, "pk", "username", "password", "is_active", "is_staff", "role")
        client = Client()
        response = post(client, "/accounts/login/", data)
        assert rows(User, "pk", "username", "password", "is_active", "is_staff", "role") == users
        signed_in = "_auth_user_id" in client.session
        if response.status_code == 302:
            assert signed_in and on_site(response["Location"]), response["Location"]
            assert sent(data, "password") == PASSWORD
            assert sent(data, "username").strip() in {"ana", "drcho"}
            return ACCEPTED
        assert not signed_in
        assert response.status_code == 429 or errors_shown(response), data
        return REFUSED

    assert once(submit, {"username": "ana", "password": PASSWORD, **every_extra()}) == ACCEPTED
    fuzz(submissions(fields), submit)


def test_login_refuses_an_overlong_username_before_any_lookup(ana):
    """Found by the fuzz on PostgreSQL: a username longer than django-axes' 255-character column
    reached authenticate() and the failure record, and the login page answered 500."""
    client = Client()
    response = post(client, "/accounts/login/", {"username": "a" * 300, "password": "x"})
    assert response.status_code == 200 and errors_shown(response)
    assert not AccessAttempt.objects.exists()  # refused as input, not counted as a try


def test_password_reset_form(ana, mailoutbox):
    from recovery.models import OutboxEmail

    fields = {
        "email": st.sampled_from(["ana@example.org", "ANA@EXAMPLE.ORG", "nobody@example.org"])
    }

    def submit(data: dict) -> str:
        users = rows(User, *USER_STATE)
        sent = OutboxEmail.objects.filter(kind="password_reset").count()
        response = post(Client(), "/accounts/password_reset/", data)
        assert rows(User, *USER_STATE) == users
        assert mailoutbox == []  # written to the outbox, sent after the request
        new_mail = list(OutboxEmail.objects.filter(kind="password_reset").order_by("pk"))[sent:]
        if response.status_code == 302:
            assert response["Location"] == "/accounts/password_reset/done/"
            # The same answer for anyone; mail only to the one account that has the address.
            assert len(new_mail) <= 1
            assert all(row.to == "ana@example.org" for row in new_mail)
            return ACCEPTED if new_mail else REFUSED
        assert not new_mail and (response.status_code == 429 or errors_shown(response)), data
        return REFUSED

    assert once(submit, {"email": "ana@example.org", **every_extra()}) == ACCEPTED
    fuzz(submissions(fields), submit)


def test_password_reset_confirm_form(ana):
    user = ana.user
    strong = "a-brand-new-passphrase-77"
    fields = {
        "new_password1": st.sampled_from([strong, "short", "password123", "ana", "12345678901"]),
        "new_password2": st.sampled_from([strong, "short", strong.upper()]),
    }

    def submit(data: dict) -> str:
        users = rows(User)
        client = Client()
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(User.objects.get(pk=user.pk))
        form_url = client.get(f"/accounts/reset/{uid}/{token}/")["Location"]
        assert form_url == f"/accounts/reset/{uid}/set-password/"
        response = post(client, form_url, data)
        after = rows(User)
        if response.status_code == 302:
            assert response["Location"] == "/accounts/reset/done/"
            fresh = User.objects.get(pk=user.pk)
            assert fresh.check_password(sent(data, "new_password1"))
            assert (fresh.is_staff, fresh.is_superuser, fresh.role) == (False, False, Role.PATIENT)
            assert [row for row in after if row[0] != user.pk] == [
                row for row in users if row[0] != user.pk
            ]
            return ACCEPTED
        assert after == users and errors_shown(response), data
        return REFUSED

    valid = {"new_password1": strong, "new_password2": strong}
    extras = every_extra(user=1, id=1)
    extras |= {"username": "root", "email": "evil@example.org"}
    assert once(submit, {**valid, **extras}) == ACCEPTED
    fuzz(submissions(fields), submit)


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:06d}"


def test_two_factor_form(client, dee):
    device = TOTPDevice.objects.create(user=dee, name="phone", confirmed=True)
    client.force_login(dee, backend=MODEL_BACKEND)
    valid_marker = "<the current code>"
    fields = {
        "token": st.one_of(
            st.just(valid_marker), st.from_regex(r"[0-9]{6}", fullmatch=True), hostile
        ),
        "next": st.sampled_from(OFF_SITE),
    }

    def submit(data: dict) -> str:
        devices = rows(TOTPDevice, "pk", "user_id", "key", "confirmed")
        data = {
            name: current_code(device) if value == valid_marker else value
            for name, value in data.items()
        }
        response = post(client, "/accounts/two-factor/", data)
        assert rows(TOTPDevice, "pk", "user_id", "key", "confirmed") == devices
        verified = DEVICE_ID_SESSION_KEY in client.session
        if response.status_code == 302:
            assert verified and on_site(response["Location"]), response["Location"]
            return ACCEPTED
        assert not verified and errors_shown(response), data
        return REFUSED

    # A session that proved its code is rolled back with the savepoint; start each one unproven.
    assert once(submit, {"token": valid_marker, **every_extra()}) == ACCEPTED
    fuzz(submissions(fields), submit)


def test_decimal_and_date_edge_cases_are_refused_not_crashing(ana_client, ana_plan):
    """Values that overflow Python's own types: a 500 here would be a crash, not a refusal."""
    today = plan_services.patient_today(ana_plan.patient)
    valid = {
        "date": iso(today),
        "activity": "walking",
        "minutes": "20",
        "pain_before": "1",
        "pain": "2",
        "pain_duration": "within_2h",
        "no_red_flags": "on",
    }
    for change in [
        {"pain": "1e999999999"},
        {"pain": "sNaN"},
        {"pain_before": str(Decimal("0.05"))},
        {"pain_before": "9" * 5000},
        {"date": "9999-12-31"},
        {"date": "0001-01-01"},
        {"minutes": "9" * 5000},
    ]:
        data = {**valid, "submission_token": str(uuid.uuid4()), **change}
        response = post(ana_client, "/me/sessions/new/", data)
        assert response.status_code == 200 and errors_shown(response), change


# --- the home programme (issue 22) ---------------------------------------------------------------


def test_session_form_programme_ticks(ana_client, ana_plan):
    """Only exercises of Ana's programme may be ticked; whatever else is sent is refused beside
    the list and stores nothing; an accepted log stores exactly the ticks sent."""
    made = add_exercises()
    allowed = {pk for pk, _ in programme_exercises(ana_plan)}
    assert allowed == {made["tilt"].pk, made["hamstring"].pk, made["bird_dog"].pk}
    others = [made[name].pk for name in ("plank", "old", "treadmill", "twist")]
    today = plan_services.patient_today(ana_plan.patient)
    tick = st.one_of(st.sampled_from(sorted(allowed)).map(str), st.sampled_from(others).map(str))
    fields = {
        "date": st.just(iso(today)),
        "activity": st.just("walking"),
        "minutes": st.just("20"),
        "pain_before": st.just("1"),
        "pain": st.just("1"),
        "pain_duration": st.just("within_2h"),
        "no_red_flags": st.just("on"),
        "exercises_done": st.lists(st.one_of(tick, tick, hostile), max_size=4),
        "submission_token": st.uuids().map(str),
    }

    def submit(data: dict) -> str:
        before = clinical_state()
        ticks_before = SessionExercise.objects.count()
        response = post(ana_client, "/me/sessions/new/", data)
        if response.status_code != 302:
            assert not changed(before, clinical_state()), data
            assert SessionExercise.objects.count() == ticks_before
            assert errors_shown(response), data
            return REFUSED
        log = SessionLog.objects.latest("pk")
        sent_ticks = data.get("exercises_done", [])
        sent_ticks = sent_ticks if isinstance(sent_ticks, list) else [sent_ticks]
        stored = set(SessionExercise.objects.filter(session_log=log).values_list("exercise_id"))
        assert {pk for (pk,) in stored} == {int(t) for t in sent_ticks}, data
        assert {pk for (pk,) in stored} <= allowed
        return ACCEPTED

    fuzz(submissions(fields), submit)


@pytest.fixture
def tailor_world(cara):
    made = add_exercises("Lumbar fusion")
    return cara, made


def test_programme_tailoring_form(cho_client, tailor_world, ben_plan):
    plan, made = tailor_world
    patient = plan.patient
    url = f"/clinic/patients/{patient.pk}/programme/tailor/"
    offered = [made["tilt"], made["hamstring"], made["bird_dog"]]
    fields: dict[str, st.SearchStrategy] = {}
    for exercise in offered:
        name = f"programme-{programme_field(exercise.pk, '{}')}"
        fields[name.format("include")] = st.sampled_from(["on", "on", ""])
        fields[name.format("position")] = st.integers(min_value=1, max_value=5).map(str)
        fields[name.format("sets")] = st.integers(min_value=1, max_value=10).map(str)
        fields[name.format("reps")] = st.integers(min_value=1, max_value=50).map(str)
        fields[name.format("hold_seconds")] = st.sampled_from(["", "5", "30"])
        fields[name.format("times_per_day")] = st.integers(min_value=1, max_value=6).map(str)
        fields[name.format("note")] = st.sampled_from(["", "Slowly.", "Morning and night."])
    ben_items = rows(ProgrammeItem.objects.filter(patient=ben_plan.patient))

    def submit(data: dict) -> str:
        before = {**clinical_state(), "programme": rows(ProgrammeItem)}
        response = post(cho_client, url, data)
        after = {**clinical_state(), "programme": rows(ProgrammeItem)}
        assert rows(ProgrammeItem.objects.filter(patient=ben_plan.patient)) == ben_items
        if response.status_code != 302:
            assert response.status_code == 400, data
            assert not changed(before, after), data
            assert response.context["programme_form"].errors, data
            return REFUSED
        assert not changed(before, after) - {"programme"}, data
        saved = ProgrammeItem.objects.filter(patient=patient).order_by("position")
        included = [
            e.pk
            for e in offered
            if sent(data, f"programme-{programme_field(e.pk, 'include')}") == "on"
        ]
        assert sorted(item.exercise_id for item in saved) == sorted(included), data
        for item in saved:
            times = sent(data, f"programme-{programme_field(item.exercise_id, 'times_per_day')}")
            assert item.times_per_day == int(times)
            assert 1 <= item.times_per_day <= 6 and "\x00" not in item.note
        return ACCEPTED

    valid = {
        "action": "save",
        f"programme-{programme_field(made['tilt'].pk, 'include')}": "on",
        f"programme-{programme_field(made['tilt'].pk, 'reps')}": "10",
        f"programme-{programme_field(made['tilt'].pk, 'times_per_day')}": "2",
        # A contraindicated exercise the form never offered, smuggled in: ignored.
        f"programme-{programme_field(made['twist'].pk, 'include')}": "on",
    }
    extras = every_extra("programme", patient=ben_plan.patient.pk, id=ben_plan.pk)
    assert once(submit, {**valid, **extras}) == ACCEPTED
    fuzz(submissions(fields, {"action": "save"}), submit)
