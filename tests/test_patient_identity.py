"""Contact and identity (issue 17): phone, date of birth and record number, taken at enrolment,
edited by the clinician, searched from triage. And the enrolment form's rough edges."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils.html import escape

from plans.forms_clinic import ApproveForm, EnrolForm, RulesForm
from plans.services import clearance_approve
from plans.triage import patient_search
from recovery.errors import DomainError
from recovery.models import AuditEvent, PatientProfile, TreatmentType, tel_href, tidy_phone
from recovery.services import patient_update_contact
from tests.conftest import make_patient

ENROL = "/clinic/patients/new/"


def enrolment(**changes) -> dict:
    data = {
        "first_name": "Cara",
        "last_name": "Newman",
        "email": "cara@example.org",
        "date_of_birth": "1961-04-23",
        "phone": "(555) 010-2030",
        "record_number": "MRN-7731",
        "treatment_type": str(TreatmentType.objects.get(name="Lumbar fusion").pk),
        "procedure_date": (date.today() - timedelta(days=30)).isoformat(),
        "timezone": "America/New_York",
    }
    return {**data, **changes}


# --- phone numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept", "href"),
    [
        ("(555) 010-2030", "(555) 010-2030", "tel:5550102030"),
        ("  +1 555  010 2030 ", "+1 555 010 2030", "tel:+15550102030"),
        ("555.010.2030", "555.010.2030", "tel:5550102030"),
        ("+44 20 7946 0958", "+44 20 7946 0958", "tel:+442079460958"),
        ("", "", ""),
    ],
)
def test_a_phone_number_is_tidied_and_dials(typed, kept, href):
    assert tidy_phone(typed) == kept
    assert tel_href(kept) == href


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("call me", "Use digits only"),
        ("555-0102 ext 4", "Use digits only"),
        ("12345", "7 to 15 digits (this one has 5)"),
        ("1234567890123456", "7 to 15 digits (this one has 16)"),
        ("555+0102030", "Use digits only"),
    ],
)
def test_a_phone_number_that_is_not_one_is_refused_with_the_reason(typed, reason):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        tidy_phone(typed)


# --- enrolment ---------------------------------------------------------------------------------


def test_enrolment_takes_phone_birth_date_and_record_number(cho, dr_cho):
    response = cho.post(ENROL, enrolment())
    assert response.status_code == 302
    patient = PatientProfile.objects.get(user__email="cara@example.org")
    assert (patient.phone, patient.date_of_birth, patient.record_number) == (
        "(555) 010-2030",
        date(1961, 4, 23),
        "MRN-7731",
    )
    page = cho.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert '<a href="tel:5550102030">(555) 010-2030</a>' in page
    assert "Born 23 Apr 1961 (age " in page and "MRN-7731" in page


def test_an_empty_enrolment_says_what_is_missing_once_each_with_a_summary(cho):
    response = cho.post(ENROL, {})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." not in html
    summary = html[
        html.index('id="error-summary"') : html.index("</div>", html.index('id="error-summary"'))
    ]
    for message, field in [
        ("Enter the patient's first name.", "first_name"),
        ("Enter the patient's last name.", "last_name"),
        ("Enter the patient's e-mail address.", "email"),
        ("Enter the patient's date of birth.", "date_of_birth"),
        ("Enter a phone number the care team can call the patient on.", "phone"),
        ("Choose the treatment the patient had or will have.", "treatment_type"),
        ("Enter the date of the procedure or of the start of treatment.", "procedure_date"),
    ]:
        assert f'<a href="#id_{field}">{escape(message)}</a>' in summary
        assert html.count(escape(message)) == 2  # in the summary and beside the field
    assert PatientProfile.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"date_of_birth": "9999-12-31"}, "date_of_birth", "between 1 January 1900 and today"),
        ({"date_of_birth": "1899-12-31"}, "date_of_birth", "between 1 January 1900 and today"),
        (
            {"date_of_birth": (date.today() + timedelta(days=2)).isoformat()},
            "date_of_birth",
            "between 1 January 1900 and today",
        ),
        ({"phone": "call me"}, "phone", "Use digits only"),
        ({"phone": "555-01"}, "phone", "7 to 15 digits"),
    ],
)
def test_a_bad_contact_detail_is_refused_beside_its_field(cho, changes, field, message):
    response = cho.post(ENROL, enrolment(**changes))
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    assert PatientProfile.objects.count() == 0


def test_a_record_number_belongs_to_one_patient(cho, ana):
    PatientProfile.objects.filter(pk=ana.pk).update(record_number="MRN-7731")
    response = cho.post(ENROL, enrolment(record_number="mrn-7731"))
    assert response.status_code == 400
    assert response.context["form"].errors["record_number"] == [
        "Another patient has this record number already."
    ]
    assert PatientProfile.objects.count() == 1


def test_the_time_zones_are_grouped_by_region_with_the_clinics_default_chosen():
    form = EnrolForm()
    groups = dict(form.fields["timezone"].choices)
    assert ("America/New_York", "New York") in groups["America"]
    assert ("Europe/Berlin", "Berlin") in groups["Europe"]
    assert len(groups) < 15 and sum(len(z) for z in groups.values()) > 300
    html = str(form["timezone"])
    assert '<optgroup label="America">' in html
    assert '<option value="America/New_York" selected>' in html


# --- the clinician edits them ------------------------------------------------------------------


def test_the_clinician_corrects_the_details_and_the_audit_names_only_the_fields(cho, dr_cho, ana):
    url = reverse("clinic:patient_details", args=[ana.pk])
    assert "Contact and identity" in cho.get(url).content.decode()
    response = cho.post(
        url, {"phone": "+1 555 010 9999", "date_of_birth": "1970-01-02", "record_number": ""}
    )
    assert response["Location"] == reverse("clinic:patient", args=[ana.pk])
    ana.refresh_from_db()
    assert (ana.phone, ana.date_of_birth) == ("+1 555 010 9999", date(1970, 1, 2))
    event = AuditEvent.objects.get(action="patient_update_contact")
    assert event.actor == dr_cho
    assert sorted(event.detail["fields"]) == ["date_of_birth", "phone"]
    assert "9999" not in str(event.detail) and "1970" not in str(event.detail)


def test_a_bad_edit_stores_nothing(cho, ana):
    url = reverse("clinic:patient_details", args=[ana.pk])
    response = cho.post(url, {"phone": "12", "date_of_birth": "9999-12-31"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-summary"' in html
    ana.refresh_from_db()
    assert (ana.phone, ana.date_of_birth) == ("", None)
    assert not AuditEvent.objects.filter(action="patient_update_contact").exists()


def test_another_clinician_can_neither_see_nor_change_them(client, dr_dev, ana):
    client.force_login(dr_dev)
    url = reverse("clinic:patient_details", args=[ana.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"phone": "(555) 010-2030"}).status_code == 404
    ana.refresh_from_db()
    assert ana.phone == ""
    with pytest.raises(DomainError, match="assigned clinician"):
        patient_update_contact(
            patient=ana,
            actor=dr_dev,
            phone="(555) 010-2030",
            date_of_birth=None,
            record_number="",
            today=date.today(),
        )


# --- triage search -----------------------------------------------------------------------------


@pytest.fixture
def panel(dr_cho, dr_dev):
    people = {}
    for username, first, born, number in [
        ("ana", "Ana", date(1961, 4, 23), "MRN-1"),
        ("anabel", "Anabel", date(1980, 2, 2), ""),
        ("olga", "Olga", date(1961, 4, 23), "MRN-2"),
    ]:
        person = make_patient(
            username,
            first,
            dr_cho,
            treatment="Lumbar fusion",
            procedure_date=date.today() - timedelta(days=30),
        )
        PatientProfile.objects.filter(pk=person.pk).update(date_of_birth=born, record_number=number)
        people[username] = person
    theirs = make_patient(
        "anna", "Anna", dr_dev, treatment="Lumbar fusion", procedure_date=date.today()
    )
    PatientProfile.objects.filter(pk=theirs.pk).update(
        date_of_birth=date(1961, 4, 23), record_number="MRN-3"
    )
    return people


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ana", ["ana", "anabel"]),
        ("ANA tester", ["ana", "anabel"]),
        ("anabel", ["anabel"]),
        ("mrn-2", ["olga"]),
        ("MRN-3", []),  # Dr Dev's patient
        ("1961-04-23", ["ana", "olga"]),
        ("04/23/1961", ["ana", "olga"]),
        ("nobody", []),
        ("   ", []),
    ],
)
def test_triage_search_finds_own_patients_by_name_record_number_or_birth_date(
    panel, dr_cho, text, found, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1):
        hits = patient_search(dr_cho, text)
    assert sorted(p.user.username for p in hits) == found


def test_the_triage_page_shows_search_results_fresh(cho, panel):
    html = cho.get(reverse("clinic:triage"), {"q": "MRN-2"}).content.decode()
    results = html[html.index('id="search-results"') :]
    assert "Olga Tester" in results[: results.index("</section>")]
    html = cho.get(reverse("clinic:triage"), {"q": "zzz"}).content.decode()
    assert "None of your patients matches." in html


# --- the approval boundary and the rules form --------------------------------------------------


def approve_without_override(patient: PatientProfile, day: date):
    clearance = patient.clearances.get(status="pending")
    kind = clearance.treatment.treatment_type
    return clearance_approve(
        clearance=clearance,
        actor=patient.clinician,
        rules=kind.default_rules(),
        max_stage=1,
        allowed_activities=["walking"],
        start_date=day,
        today=day,
    )


def test_approving_on_the_day_the_minimum_wait_ends_needs_no_override(dr_cho):
    """Lumbar fusion: 14 days. The day before needs an override; that day does not."""
    patient = make_patient(
        "fay", "Fay", dr_cho, treatment="Lumbar fusion", procedure_date=date(2026, 11, 1)
    )
    clearance = patient.clearances.get()
    earliest = clearance.treatment.earliest_clearance
    assert earliest == date(2026, 11, 15)
    for day, needs in [(earliest - timedelta(days=1), True), (earliest, False)]:
        form = ApproveForm(prefix="approve", clearance=clearance, today=day)
        assert form.needs_override is needs, day
        assert ("override_reason" in form.fields) is needs, day
    with pytest.raises(DomainError, match="override reason"):
        approve_without_override(patient, earliest - timedelta(days=1))
    plan = approve_without_override(patient, earliest)
    assert plan.start_date == earliest


def test_the_rules_form_says_every_broken_rule_at_once():
    form = RulesForm(
        {
            "start_minutes": "15",
            "target_minutes": "10",
            "sessions_per_week": "3",
            "min_increment": "10",
            "max_increment": "5",
        }
    )
    assert not form.is_valid()
    assert form.errors["max_increment"] == ["Must be at least the smallest step (10 minutes)."]
    assert form.errors["target_minutes"] == ["Must be at least the start (15 minutes)."]
