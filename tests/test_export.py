"""The patient's export (issue 24, DESIGN section 11): `/me/export/` shows what the file holds
and downloads it by POST; the ZIP, opened here, matches the database (sessions, weeks, alerts,
answers) and holds nothing of another patient; CSV cells cannot run as formulas; every download
is audited; 5 an hour; a fixed number of queries whatever the history's length."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle

from api.export import COLUMNS, export_zip
from outcomes import services as outcome_services
from outcomes.models import Answer, Questionnaire
from plans import services as plan_services
from plans.models import Alert, Plan, PlanWeek, SessionLog, SymptomReport
from recovery.models import AuditEvent, PatientProfile

pytestmark = pytest.mark.django_db

URL = "/me/export/"


def opened(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


def rows(archive: zipfile.ZipFile, name: str) -> list[dict]:
    text = archive.read(f"csv/{name}.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def record(patient, marker: str, *, flag: bool) -> None:
    """Sessions with `marker` in their notes over two weeks (closed), a symptom report, maybe a
    warning sign (an alert), and the baseline pain questionnaire answered."""
    plan = patient.plans.get()
    today = plan_services.patient_today(patient)
    for day in range(0, min(10, (today - plan.start_date).days + 1), 2):
        plan_services.session_log_create(
            patient=patient,
            day=plan.start_date + timedelta(days=day),
            activity="walking",
            minutes=15 + day,
            pain_before=1,
            pain=2 + day % 3,
            pain_duration="within_2h",
            notes=f"{marker} session {day}",
        )
    plan_services.plan_close_weeks(plan=plan, today=today)
    plan_services.symptom_report_create(patient=patient, pain_now=4)
    if flag:
        plan_services.session_log_create(
            patient=patient,
            day=today,
            activity="walking",
            minutes=10,
            pain=4,
            red_flags=["numbness"],
        )
    outcome_services.questionnaires_schedule()
    pain = Questionnaire.objects.get(patient=patient, instrument__code="pain")
    outcome_services.questionnaire_answer(
        patient=patient,
        questionnaire_id=pain.pk,
        choices={1: pain.instrument.items.get().options.order_by("position")[3].pk},
    )


@pytest.fixture
def two(ana_plan, ben_plan):
    """Ana's plan started 20 days ago, Ben's 6: both with a record of their own."""
    record(ana_plan.patient, "ANA-MARKER", flag=True)
    record(ben_plan.patient, "BEN-MARKER", flag=False)
    return ana_plan.patient, ben_plan.patient


def download(client, patient) -> zipfile.ZipFile:
    client.force_login(patient.user)
    response = client.post(URL)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="stepwise-export-')
    return opened(response.content)


def test_the_zip_matches_the_database(client, two):
    ana, _ = two
    archive = download(client, ana)
    names = set(archive.namelist())
    assert names == {
        "README.txt",
        "stepwise-record.json",
        "fhir-bundle.json",
        *(f"csv/{name}.csv" for name in COLUMNS),
    }
    # Sessions: every one, value by value.
    logs = list(SessionLog.with_deleted.filter(plan__patient=ana).order_by("date", "pk"))
    sessions = rows(archive, "sessions")
    assert [int(r["session_id"]) for r in sessions] == [log.pk for log in logs]
    for row, log in zip(sessions, logs, strict=True):
        assert (row["date"], int(row["minutes"]), row["notes"]) == (
            log.date.isoformat(),
            log.minutes,
            log.notes,
        )
        assert row["pain_after"] == str(log.pain) and row["pain_before"] == (
            "" if log.pain_before is None else str(log.pain_before)
        )
    # Weeks, alerts, symptom reports, questionnaire answers.
    weeks = list(PlanWeek.objects.filter(plan__patient=ana).order_by("plan_id", "week"))
    assert len(weeks) >= 3
    assert [(int(r["week"]), int(r["minutes"])) for r in rows(archive, "plan_weeks")] == [
        (w.week, w.minutes) for w in weeks
    ]
    (alert,) = Alert.objects.filter(patient=ana)
    (alert_row,) = rows(archive, "alerts")
    assert (int(alert_row["alert_id"]), alert_row["kind"], alert_row["tier"]) == (
        alert.pk,
        alert.kind,
        alert.tier,
    )
    assert "numbness" in alert_row["warning_signs"].lower()
    # The warning sign paused the plan: the export says why in words, from the stored cause.
    paused = Plan.objects.select_related("pause_week").get(patient=ana, status="paused")
    (plan_row,) = [r for r in rows(archive, "plans") if int(r["plan_id"]) == paused.pk]
    assert plan_row["pause_reason"] == paused.patient_pause_words
    assert plan_row["pause_reason"].startswith("Warning sign reported on ")
    reports = SymptomReport.objects.filter(patient=ana)
    assert len(rows(archive, "symptom_reports")) == reports.count() >= 1
    (answer,) = Answer.objects.filter(response__patient=ana)
    (answer_row,) = rows(archive, "questionnaire_answers")
    assert answer_row["answer"] == answer.option.label
    assert float(answer_row["value"]) == float(answer.value)
    assert len(rows(archive, "clearance_history")) >= 2  # requested, approved
    (profile,) = rows(archive, "profile")
    assert profile["patient_id"] == str(ana.pk) and profile["email"] == ana.user.email
    # The JSON holds the same, and the FHIR Bundle validates.
    everything = json.loads(archive.read("stepwise-record.json"))
    assert everything["format"] == "stepwise-export/1"
    assert [s["session_id"] for s in everything["sessions"]] == [log.pk for log in logs]
    assert everything["profile"]["patient_id"] == ana.pk
    bundle = json.loads(archive.read("fhir-bundle.json"))
    Bundle.model_validate(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Observation") == len(logs)
    assert kinds.count("QuestionnaireResponse") == 1
    # The patient's own notes are in their copy of the Bundle too.
    assert "ANA-MARKER session 0" in archive.read("fhir-bundle.json").decode()


def test_nothing_of_another_patient_is_in_it(client, two):
    ana, ben = two
    for me, other, marker in ((ana, ben, "BEN-MARKER"), (ben, ana, "ANA-MARKER")):
        archive = download(client, me)
        theirs = SessionLog.with_deleted.filter(plan__patient=other)
        other_ids = {str(pk) for pk in theirs.values_list("pk", flat=True)}
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8-sig")
            assert marker not in text, name
            assert other.user.email not in text, name
            assert other.user.username not in text.split('"'), name
        session_ids = {r["session_id"] for r in rows(archive, "sessions")}
        assert session_ids and not (session_ids & other_ids)


def test_every_csv_cell_is_safe_in_a_spreadsheet(client, ana_plan):
    ana = ana_plan.patient
    plan_services.session_log_create(
        patient=ana,
        day=ana_plan.start_date,
        activity="walking",
        minutes=15,
        pain_before=1,
        pain=2,
        notes='=HYPERLINK("http://evil.example","click")',
    )
    archive = download(client, ana)
    (session,) = rows(archive, "sessions")
    assert session["notes"] == '\'=HYPERLINK("http://evil.example","click")'
    for name in archive.namelist():
        if name.endswith(".csv"):
            for row in rows(archive, name.removeprefix("csv/").removesuffix(".csv")):
                for cell in row.values():
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
    # The JSON keeps what was typed, exactly.
    everything = json.loads(archive.read("stepwise-record.json"))
    assert everything["sessions"][0]["notes"] == '=HYPERLINK("http://evil.example","click")'


def test_an_empty_record_still_has_every_file_with_its_header(client, ana):
    archive = download(client, ana)  # waiting for clearance: no plan, no sessions
    for name, columns in COLUMNS.items():
        text = archive.read(f"csv/{name}.csv").decode("utf-8-sig")
        assert next(csv.reader(io.StringIO(text))) == list(columns)
    Bundle.model_validate(json.loads(archive.read("fhir-bundle.json")))


def test_get_shows_what_it_holds_and_downloads_nothing(client, ana):
    client.force_login(ana.user)
    response = client.get(URL)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'method="post"' in page and "csrfmiddlewaretoken" in page
    assert not AuditEvent.objects.filter(action="data_export").exists()


def test_the_download_is_audited(client, ana):
    download(client, ana)
    event = AuditEvent.objects.get(action="data_export")
    assert (event.actor, event.patient_id, event.detail["format"]) == (ana.user, ana.pk, "zip")
    assert event.detail["rows"]["profile"] == 1


def test_the_download_needs_csrf(ana):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(ana.user)
    assert client.post(URL).status_code == 403
    assert not AuditEvent.objects.filter(action="data_export").exists()


def test_only_patients_download_their_own(client, ana, dr_cho, dee):
    assert client.post(URL)["Location"].startswith("/accounts/login/")
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    for person in (dr_cho, dee):
        client.force_login(person)
        assert client.get(URL).status_code == 403
        assert client.post(URL).status_code == 403
    assert not AuditEvent.objects.filter(action="data_export").exists()


def test_five_downloads_an_hour(client, ana):
    cache.clear()
    client.force_login(ana.user)
    answers = [client.post(URL).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert client.get(URL).status_code == 200  # the page itself is not counted
    assert AuditEvent.objects.filter(action="data_export").count() == 5


def test_the_export_reads_a_fixed_number_of_queries(ana_plan):

    def log(n: int) -> None:
        SessionLog.objects.bulk_create(
            SessionLog(
                plan=ana_plan,
                date=ana_plan.start_date + timedelta(days=k % 20),
                week=1 + (k % 20) // 7,
                activity="walking",
                minutes=15,
                pain_before=1,
                pain=2,
                notes=f"note {k}",
            )
            for k in range(n)
        )

    def count() -> int:
        # As the view has it: the patient with its user (own_patient_profile).
        ana = PatientProfile.objects.select_related("user").get(pk=ana_plan.patient_id)
        with CaptureQueriesContext(connection) as queries:
            export_zip(ana)
        return len(queries)

    log(1)
    one = count()
    log(49)
    assert count() == one == 21


def test_the_history_page_links_to_it(client, ana_plan):
    client.force_login(ana_plan.patient.user)
    assert f'href="{URL}"' in client.get("/me/sessions/").content.decode()


def test_a_spanish_speaking_patient_reads_the_readme_and_labels_in_spanish(client, ana_plan):
    ana = ana_plan.patient
    ana.user.language = "es"
    ana.user.save(update_fields=["language"])
    plan_services.session_log_create(
        patient=ana, day=ana_plan.start_date, activity="walking", minutes=15, pain_before=1, pain=2
    )
    archive = download(client, ana)
    assert "Sus datos de StepWise" in archive.read("README.txt").decode()
    (session,) = rows(archive, "sessions")
    assert (session["activity"], session["activity_label"]) == ("walking", "Caminar")


def test_the_download_reads_a_fixed_number_of_queries(client, ana_plan):
    client.force_login(ana_plan.patient.user)
    client.get(URL)  # warm: the session and the user

    def post() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.post(URL).status_code == 200
        return len(queries)

    few = post()
    SessionLog.objects.bulk_create(
        SessionLog(
            plan=ana_plan,
            date=ana_plan.start_date + timedelta(days=k % 20),
            week=1 + (k % 20) // 7,
            activity="walking",
            minutes=15,
            pain=2,
        )
        for k in range(50)
    )
    # The session, its user, the patient, the export's 21, and the audit row.
    assert post() == few == 25
