"""The clinician's side in Chromium: enrol, clearance, triage, acknowledging an alert."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from plans import services as plan_services
from plans.models import Alert, PlanWeek, SessionLog
from recovery.models import ClearanceStatus, PatientProfile
from tests.conftest import approve, make_patient
from tests.e2e.conftest import assert_accessible, fits_width, login, screenshot, sign_out
from tests.support import patients_today

NEW_PASSWORD = "quiet-river-lantern-42"


def test_enrolled_patient_sets_a_password_and_waits_for_clearance(page, dr_cho, celery_in_process):
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    page.get_by_role("main").get_by_role("link", name="Add a patient").click()
    page.wait_for_url("**/clinic/patients/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a patient")
    assert_accessible(page)
    screenshot(page, "clinic-enrol")

    page.get_by_label("First name").fill("Carla")
    page.get_by_label("Last name").fill("Diaz")
    page.get_by_label("E-mail").fill("carla@example.org")
    page.get_by_label("Date of birth").fill("1961-04-23")
    page.get_by_label("Phone number").fill("(555) 010-2099")
    page.get_by_label("Clinic record number (optional)").fill("MRN-7731")
    page.get_by_label("Treatment type").select_option(label="Epidural steroid injection")
    page.get_by_label("Procedure date").fill((patients_today() - timedelta(days=3)).isoformat())
    page.get_by_label("Patient's time zone").select_option("America/Chicago")
    page.get_by_role("button", name="Add patient").click()

    page.wait_for_url(re.compile(r".*/clinic/patients/\d+/$"))
    expect(page.get_by_role("status").first).to_contain_text("Carla Diaz is enrolled")
    expect(page.get_by_role("heading", level=1)).to_have_text("Carla Diaz")
    patient = PatientProfile.objects.get(user__email="carla@example.org")
    assert patient.clearances.get().status == ClearanceStatus.PENDING
    expect(page.get_by_role("button", name="Send a new sign-in link")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "clinic-patient-new")

    (message,) = mail.outbox
    assert message.to == ["carla@example.org"]
    link = re.search(r"https?://\S+/accounts/reset/\S+", message.body).group(0)
    username = re.search(r"Your username is: (\S+)", message.body).group(1)

    sign_out(page)
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    page.get_by_label(re.compile(r"New password\W*$")).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save password").click()
    page.wait_for_url("**/accounts/reset/done/")
    # Choosing the password signed Carla in: straight on to her page.
    expect(page.get_by_role("main")).to_contain_text("You are signed in")
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url("**/me/")
    sign_out(page)
    login(page, username, NEW_PASSWORD)
    page.wait_for_url("**/me/")
    expect(page.get_by_role("main")).to_contain_text(re.compile("clearance", re.IGNORECASE))


def test_approving_a_pending_clearance_gives_the_patient_week_1(page, ana):
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    row = page.locator("#triage tr", has_text="Ana Tester")
    expect(row).to_contain_text("Ready for a clearance decision")
    row.get_by_role("link", name="Decide").click()
    page.wait_for_url(f"**/clinic/patients/{ana.pk}/clearance/")
    expect(page.get_by_label("Start (minutes per session)")).to_have_value("15")
    expect(page.get_by_role("checkbox", name="Walking")).to_be_checked()
    assert_accessible(page)
    screenshot(page, "clinic-clearance")

    page.get_by_label("Restrictions (shown to the patient)").fill("No lifting over 5 kg.")
    page.get_by_role("button", name="Approve clearance").click()
    page.wait_for_url(f"**/clinic/patients/{ana.pk}/")
    expect(page.get_by_role("status").first).to_contain_text("Clearance approved")
    expect(page.locator("#weeks")).to_contain_text("15 min × 5")
    assert_accessible(page)
    screenshot(page, "clinic-patient")

    sign_out(page)
    login(page, "ana")
    page.wait_for_url("**/me/")
    expect(page.get_by_role("main")).to_contain_text(re.compile(r"week 1\b", re.IGNORECASE))


@pytest.mark.readme_picture
def test_red_flag_goes_to_the_top_of_triage_and_is_acknowledged(page, dr_cho, ana, ana_plan):
    today = plan_services.patient_today(ana)
    # Others needing attention in every tier, so "top" means something, and one on track.
    make_patient(
        "rhea",
        "Rhea",
        dr_cho,
        treatment="Laminectomy",
        procedure_date=today - timedelta(days=20),
    )
    make_patient(
        "fay",
        "Fay",
        dr_cho,
        treatment="Lumbar fusion",
        procedure_date=today - timedelta(days=4),
    )
    rita = make_patient(
        "rita",
        "Rita",
        dr_cho,
        treatment="Physical therapy / conservative care",
        procedure_date=today - timedelta(days=30),
    )
    plan = approve(rita, start=today - timedelta(days=9), today=today - timedelta(days=9))
    SessionLog.objects.create(
        plan=plan, date=today - timedelta(days=5), week=1, activity="walking", minutes=15, pain=8
    )
    PlanWeek.objects.create(
        plan=plan,
        week=2,
        minutes=10,
        sessions_per_week=3,
        decision="reduce",
        reason="Your pain reached 8 out of 10 after exercise, so next week eases back to 10 "
        "minutes.",
    )
    ivan = make_patient(
        "ivan",
        "Ivan",
        dr_cho,
        treatment="Radiofrequency ablation",
        procedure_date=today - timedelta(days=40),
    )
    approve(ivan, start=today - timedelta(days=5), today=today - timedelta(days=5))
    olga = make_patient(
        "olga",
        "Olga",
        dr_cho,
        treatment="Epidural steroid injection",
        procedure_date=today - timedelta(days=40),
    )
    approve(olga, start=today - timedelta(days=2), today=today - timedelta(days=2))
    plan_services.session_log_create(patient=olga, day=today, activity="walking", minutes=15)
    plan_services.session_log_create(
        patient=ana,
        day=today,
        activity="walking",
        minutes=12,
        pain=4,
        red_flags=["saddle_numbness"],
    )

    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    first = page.locator("#triage tbody tr").first
    expect(first).to_contain_text("Ana Tester")
    expect(first).to_contain_text("Emergency warning sign")
    expect(first).to_contain_text("New numbness in the groin, buttocks or inner thighs")
    assert_accessible(page)
    screenshot(page, "clinic-triage")  # the README's picture: `make screenshots` copies it

    # Closing asks what was done; the clinician first tries without choosing.
    first.get_by_role("link", name=re.compile("^Close alert")).click()
    alert_id = Alert.objects.get(patient=ana).pk
    page.wait_for_url(re.compile(rf"/clinic/alerts/{alert_id}/close/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Close an alert for Ana Tester")
    expect(page.locator(".alert-close")).to_contain_text("New numbness in the groin")
    screenshot(page, "clinic-alert-close")
    assert_accessible(page)
    page.get_by_role("button", name="Close the alert").click()
    expect(page.locator("#error-summary")).to_contain_text("Choose what was done about this alert.")
    assert Alert.objects.get(patient=ana).acknowledged_at is None
    page.get_by_label("Advised the emergency department or 911").check()
    page.get_by_label("Note (optional)").fill("Called at 10:05: sent to the ED at St Mary's.")
    assert_accessible(page)
    page.get_by_role("button", name="Close the alert").click()
    page.wait_for_url("**/clinic/")
    expect(page.get_by_role("status").first).to_contain_text("Alert for Ana Tester closed.")
    alert = Alert.objects.get(patient=ana)
    assert (alert.acknowledged_by, alert.outcome) == (dr_cho, "sent_emergency")
    assert alert.outcome_note == "Called at 10:05: sent to the ED at St Mary's."
    # Still first (the plan is stopped until resumed), now for that reason, with no button.
    first = page.locator("#triage tbody tr").first
    expect(first).to_contain_text("Plan stopped")
    expect(first.get_by_role("link", name=re.compile("^Close alert"))).to_have_count(0)
    # Closed, it stays in sight for the day with what was done.
    closed = page.locator("#closed-today")
    expect(closed).to_contain_text("Ana Tester")
    expect(closed).to_contain_text("by Mei Cho: Advised the emergency department or 911")
    expect(closed).to_contain_text("sent to the ED at St Mary's")
    screenshot(page, "clinic-triage-closed-today")

    # The record shows the warning sign; the clinician resumes the plan at 10 minutes.
    first.get_by_role("link", name="Ana Tester").click()
    page.wait_for_url(f"**/clinic/patients/{ana.pk}/")
    expect(page.locator("#timeline [data-log]").first).to_contain_text(
        "New numbness in the groin, buttocks or inner thighs"
    )
    # The STOP after the warning sign is no week the patient had: the plan says why it stopped.
    expect(page.locator("#plan-summary")).to_contain_text("Paused by a warning sign")
    assert_accessible(page)
    screenshot(page, "clinic-patient-history")
    page.get_by_label("Restart at (minutes per session)").fill("10")
    page.get_by_role("button", name="Resume plan").click()
    expect(page.get_by_role("status").first).to_contain_text("Plan resumed at week 1")
    expect(page.locator("#plan-summary")).to_contain_text("Active")


def test_approval_before_the_minimum_without_a_reason_is_refused(page, dr_cho):
    today = patients_today()
    dora = make_patient(
        "dora", "Dora", dr_cho, treatment="Lumbar fusion", procedure_date=today - timedelta(days=5)
    )
    earliest = f"{today + timedelta(days=9):%-d %B %Y}"
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    page.goto(f"/clinic/patients/{dora.pk}/clearance/")
    expect(page.get_by_role("note")).to_contain_text("needs an override reason")

    page.get_by_role("button", name="Approve clearance").click()
    reason = page.locator("#id_approve-override_reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    error = page.locator("#error_1_id_approve-override_reason")
    expect(error).to_contain_text("Please write an override reason")
    expect(error).to_contain_text(earliest)
    assert dora.clearances.get().status == ClearanceStatus.PENDING
    assert_accessible(page)
    screenshot(page, "clinic-clearance-refused")

    reason.fill("Surgeon reviewed the wound today; healing well.")
    page.get_by_role("button", name="Approve clearance").click()
    page.wait_for_url(f"**/clinic/patients/{dora.pk}/")
    assert dora.clearances.get().status == ClearanceStatus.APPROVED


def test_pages_fit_a_phone(phone_page, dr_cho, ana, ana_plan):
    plan_services.session_log_create(
        patient=ana,
        day=plan_services.patient_today(ana),
        activity="walking",
        minutes=12,
        pain=8,
        sharp_pain=True,
        notes="Sharp twinge on the stairs afterwards.",
    )
    login(phone_page, "drcho")
    phone_page.wait_for_url("**/clinic/")
    for path, name in [
        ("/clinic/", "clinic-triage-phone"),
        (f"/clinic/patients/{ana.pk}/", "clinic-patient-phone"),
        (f"/clinic/patients/{ana.pk}/clearance/", "clinic-clearance-phone"),
        ("/clinic/patients/new/", "clinic-enrol-phone"),
    ]:
        phone_page.goto(path)
        assert fits_width(phone_page), path
        screenshot(phone_page, name)


@pytest.fixture
def busy_panel(dr_cho, ana, ana_plan):
    """Ana in pain this week (a severe session, a red one, one answered the next day), Wes
    waiting for clearance with an emergency sign, Rex back from a break, Cy reduced twice."""
    today = plan_services.patient_today(ana)

    def log(days_ago, **fields):
        return plan_services.session_log_create(
            patient=ana,
            day=today - timedelta(days=days_ago),
            activity="walking",
            minutes=fields.pop("minutes", 20),
            **fields,
        ).log

    log(4, pain_before=1, pain=2, pain_duration="within_2h", exertion=11)
    unsettled = log(3, pain_before=2, pain=5, pain_duration="not_settled", notes="Stiff after.")
    plan_services.session_pain_follow_up(patient=ana, log_id=unsettled.pk, settled="later")
    log(2, pain_before=3, pain=6, pain_duration="within_2h", exertion=12)
    log(1, pain_before=2, pain=8, pain_duration="later", notes="Hill walk, too far.")
    log(0, pain_before=3, pain=9, pain_duration="within_2h", sharp_pain=True, notes="Sharp.")

    wes = make_patient(
        "wes", "Wes", dr_cho, treatment="Laminectomy", procedure_date=today - timedelta(days=5)
    )
    plan_services.symptom_report_create(patient=wes, red_flags=["chest_breathing"])
    for name, weeks in [
        ("Rex", [(20, "hold", ""), (15, "return", "")]),
        ("Cy", [(10, "reduce", ""), (10, "reduce", "repeated_pain")]),
    ]:
        person = make_patient(
            name.lower(),
            name,
            dr_cho,
            treatment="Physical therapy / conservative care",
            procedure_date=today - timedelta(days=40),
        )
        plan = approve(person, start=today - timedelta(days=16), today=today - timedelta(days=16))
        PlanWeek.objects.bulk_create(
            PlanWeek(
                plan=plan,
                week=week,
                minutes=minutes,
                sessions_per_week=3,
                decision=decision,
                review=review,
                reason="Crafted.",
            )
            for week, (minutes, decision, review) in enumerate(weeks, start=2)
        )
        SessionLog.objects.create(
            plan=plan, date=today - timedelta(days=1), week=3, activity="walking", minutes=10
        )
    return ana


def test_severe_pain_is_at_the_top_of_triage_and_the_record_reads_the_pain(page, busy_panel):
    ana = busy_panel
    login(page, "drcho")
    page.wait_for_url("**/clinic/")
    rows = page.locator("#triage tbody tr")
    expect(rows.nth(0)).to_contain_text("Wes Tester")
    expect(rows.nth(0)).to_contain_text("Emergency warning sign")
    expect(rows.nth(1)).to_contain_text("Ana Tester")
    expect(rows.nth(1)).to_contain_text("Severe pain (9/10) today")
    expect(rows.nth(1).get_by_role("link", name=re.compile("severe pain alert"))).to_be_visible()
    triage = page.locator("#triage")
    expect(triage).to_contain_text("Reduced twice in a row: pain again in week 2")
    expect(triage).to_contain_text("No sessions for two weeks: restarted at 15 minutes")
    assert_accessible(page)
    screenshot(page, "clinic-triage-v2")

    rows.nth(1).get_by_role("link", name="Ana Tester", exact=True).click()
    page.wait_for_url(f"**/clinic/patients/{ana.pk}/")
    expect(page.locator("#open-alerts")).to_contain_text("Severe pain (9/10) today")
    first = page.locator("#timeline [data-log]").first
    expect(first).to_contain_text("3 → 9")
    expect(first).to_contain_text("Too much (red)")
    expect(page.locator("#timeline")).to_contain_text("Settled later that day (answered")
    expect(page.locator("#timeline")).to_contain_text("In between (amber)")
    expect(page.locator("#timeline [data-report]")).to_have_count(0)  # Ana reported none
    expect(page.locator("#timeline [data-alert]").first).to_contain_text("Severe pain")
    assert_accessible(page)
    screenshot(page, "clinic-record-v2")

    # Closed, Ana stays on the list for her pain, in tier 2.
    page.get_by_role("link", name=re.compile("^Close alert")).click()
    page.get_by_label("Spoke with the patient and advised them").check()
    page.get_by_role("button", name="Close the alert").click()
    page.wait_for_url(f"**/clinic/patients/{ana.pk}/")
    expect(page.get_by_role("status").first).to_contain_text("The plan keeps running.")
    expect(page.locator("#timeline [data-alert]").first).to_contain_text(
        "by Mei Cho: Spoke with the patient and advised them"
    )
    page.goto("/clinic/")
    row = page.locator("#triage tr", has_text="Ana Tester")
    expect(row).to_contain_text("Sharp pain rose from 3 to 9 today")


def test_triage_and_the_record_at_phone_width(phone_page, busy_panel):
    ana = busy_panel
    login(phone_page, "drcho")
    phone_page.wait_for_url("**/clinic/")
    expect(phone_page.locator("#triage")).to_contain_text("Severe pain (9/10) today")
    assert fits_width(phone_page)
    assert_accessible(phone_page)
    screenshot(phone_page, "clinic-triage-v2-phone")
    phone_page.goto(f"/clinic/patients/{ana.pk}/")
    expect(phone_page.locator("#timeline")).to_contain_text("2 → 8")
    assert fits_width(phone_page)
    assert_accessible(phone_page)
    screenshot(phone_page, "clinic-record-v2-phone")
