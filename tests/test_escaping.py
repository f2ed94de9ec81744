"""Output encoding (SECURITY-CHECKS.md 13): markup typed into StepWise is shown as text everywhere.

Every value goes in through the real forms, as a hostile user would type it: Dr Cho enrols a
patient whose first and last names carry a payload, approves her clearance with restrictions that
carry it, and pauses her plan with a reason that carries it; the patient logs a session whose notes
carry it; Dee adds a library exercise whose name, instructions and cautions carry it. Then every
page that shows one of those values (the patient's, the clinician's, the admin's) must show the
escaped text and never the raw tag.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils.html import escape

from plans import services as plan_services
from plans.models import Exercise, SessionLog
from recovery.models import Clearance, PatientProfile, TreatmentType
from tests.support import signed_in

pytestmark = pytest.mark.django_db

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def fields(payload: str) -> dict[str, str]:
    """Each field gets its own words before the payload, so a page shows which one leaked."""
    return {
        "first_name": f"Eve{payload}",
        "last_name": f"Mal{payload}",
        "notes": f"Sore knee {payload}",
        "restrictions": f"No lifting {payload}",
        "pause_reason": f"Paused for review {payload}",
        "exercise_name": f"Bridge {payload}",
        "instructions": f"Lift your hips {payload}",
        "cautions": f"Stop if {payload}",
    }


class Stored:
    """The hostile values, entered through the forms, and the people who see them."""

    def __init__(self, payload, dr_cho, dee, root, mailoutbox, capture):
        self.payload = payload
        self.text = fields(payload)
        self.cho = signed_in(dr_cho)
        self.dee = signed_in(dee, verified=True)
        self.root = signed_in(root, verified=True)

        response = self.dee.post(
            "/admin/plans/exercise/add/",
            {
                "name": self.text["exercise_name"],
                "category": "core",
                "stage": "1",
                "active": "on",
                "instructions": self.text["instructions"],
                "cautions": self.text["cautions"],
                "contraindication_set-TOTAL_FORMS": "0",
                "contraindication_set-INITIAL_FORMS": "0",
                "images-TOTAL_FORMS": "0",
                "images-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302, response.content[:2000]
        self.exercise = Exercise.objects.get(name=self.text["exercise_name"])

        kind = TreatmentType.objects.get(name="Epidural steroid injection")
        with capture(execute=True):
            response = self.cho.post(
                "/clinic/patients/new/",
                {
                    "first_name": self.text["first_name"],
                    "last_name": self.text["last_name"],
                    "email": "eve@example.org",
                    "treatment_type": kind.pk,
                    "procedure_date": (date.today() - timedelta(days=30)).isoformat(),
                    "timezone": "America/New_York",
                    "date_of_birth": "1961-04-23",
                    "phone": "(555) 010-2030",
                    "record_number": self.text["first_name"][:32],
                },
            )
        assert response.status_code == 302, response.content[:2000]
        self.patient = PatientProfile.objects.get(user__email="eve@example.org")
        self.mail = list(mailoutbox)
        assert self.patient.user.first_name == self.text["first_name"]  # stored as typed

        today = plan_services.patient_today(self.patient)
        response = self.cho.post(
            f"/clinic/patients/{self.patient.pk}/clearance/",
            {
                "action": "approve",
                "approve-start_date": today.isoformat(),
                "approve-max_stage": "2",
                "approve-allowed_activities": ["walking"],
                "approve-restrictions": self.text["restrictions"],
                "approve-override_reason": "Reviewed in clinic: healing well.",
                "approve-start_minutes": "10",
                "approve-min_increment": "5",
                "approve-max_increment": "10",
                "approve-target_minutes": "40",
                "approve-sessions_per_week": "3",
            },
        )
        assert response.status_code == 302, response.content[:2000]
        self.clearance = Clearance.objects.get(patient=self.patient)

        self.eve = signed_in(self.patient.user)
        response = self.eve.post(
            "/me/sessions/new/",
            {
                "date": today.isoformat(),
                "activity": "walking",
                "minutes": "10",
                "pain_before": "1",
                "pain": "2",
                "pain_duration": "within_2h",
                "no_red_flags": "on",
                "notes": self.text["notes"],
                "submission_token": "6f1c1d0e-8a0b-4c1e-9a57-3c2f3b1d2e4f",
            },
        )
        assert response.status_code == 302, response.content[:2000]
        self.log = SessionLog.objects.get(plan__patient=self.patient)

    def pause(self) -> None:
        response = self.cho.post(
            f"/clinic/patients/{self.patient.pk}/plan/",
            {"action": "pause", "pause-reason": self.text["pause_reason"]},
        )
        assert response.status_code == 302


@pytest.fixture(params=PAYLOADS, ids=["script", "img-onerror"])
def stored(request, dr_cho, dee, root, mailoutbox, django_capture_on_commit_callbacks):
    return Stored(request.param, dr_cho, dee, root, mailoutbox, django_capture_on_commit_callbacks)


def problems(stored: Stored, client: Client, url: str, shown: list[str]) -> list[str]:
    """What is wrong with one page: an error status, a raw payload, or a value not shown
    escaped where the page shows it."""
    response = client.get(url)
    if response.status_code != 200:
        return [f"{url}: status {response.status_code}"]
    html = response.content.decode()
    found = []
    if stored.payload in html or "<img src=x" in html or "<script>alert" in html:
        found.append(f"{url}: the raw payload is in the page")
    for name in shown:
        if escape(stored.text[name]) not in html:
            found.append(f"{url}: {name} is not shown escaped")
    return found


def check(stored: Stored, pages: list[tuple[Client, str, list[str]]]) -> None:
    found = [p for client, url, shown in pages for p in problems(stored, client, url, shown)]
    assert not found, "\n".join(found)


def test_patient_pages(stored):
    check(
        stored,
        [
            (
                stored.eve,
                "/me/",
                ["first_name", "restrictions", "exercise_name", "instructions", "cautions"],
            ),
            (stored.eve, "/me/sessions/", ["first_name", "notes"]),
            (stored.eve, f"/me/sessions/{stored.log.pk}/saved/", ["first_name"]),
            (stored.eve, "/me/settings/", ["first_name"]),
        ],
    )


def test_clinician_pages(stored):
    patient = f"/clinic/patients/{stored.patient.pk}/"
    check(
        stored,
        [
            (stored.cho, "/clinic/", ["first_name", "last_name"]),
            (stored.cho, patient, ["first_name", "last_name", "notes", "restrictions"]),
            (stored.cho, f"{patient}clearance/", ["first_name", "last_name", "restrictions"]),
        ],
    )


def test_pause_reason_pages(stored):
    stored.pause()
    check(
        stored,
        [
            # Triage lists a paused plan under "Everyone else": the name, not the reason.
            (stored.cho, "/clinic/", ["first_name"]),
            (stored.cho, f"/clinic/patients/{stored.patient.pk}/", ["pause_reason"]),
            (stored.eve, "/me/", ["first_name", "pause_reason"]),
        ],
    )


def test_admin_pages(stored):
    user = stored.patient.user
    exercise = f"/admin/plans/exercise/{stored.exercise.pk}/change/"
    check(
        stored,
        [
            (stored.root, "/admin/plans/sessionlog/", ["first_name", "last_name"]),
            (stored.root, f"/admin/plans/sessionlog/{stored.log.pk}/change/", ["notes"]),
            (stored.root, "/admin/recovery/user/", ["first_name", "last_name"]),
            (stored.root, f"/admin/recovery/user/{user.pk}/change/", ["first_name", "last_name"]),
            (stored.root, "/admin/recovery/patientprofile/", ["first_name", "last_name"]),
            (
                stored.root,
                f"/admin/recovery/clearance/{stored.clearance.pk}/change/",
                ["restrictions"],
            ),
            (stored.root, "/admin/recovery/clearance/", ["first_name", "last_name"]),
            (stored.dee, "/admin/plans/exercise/", ["exercise_name"]),
            (stored.dee, exercise, ["exercise_name", "instructions", "cautions"]),
            (stored.root, exercise, ["exercise_name", "instructions", "cautions"]),
        ],
    )


def test_enrolment_email_escapes_the_name(stored):
    (message,) = [m for m in stored.mail if m.to == ["eve@example.org"]]
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    assert stored.payload not in html and escape(stored.text["first_name"]) in html
    # The text part is not markup: the name as typed, no entities a reader would see as such.
    assert f"Hello {stored.text['first_name']}," in message.body
    assert "&lt;" not in message.body and "&quot;" not in message.body
