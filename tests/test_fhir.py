"""FHIR R4 (issue 24, DESIGN section 11): every demo patient's Bundle validates with the
`fhir.resources` R4B models, entry by entry; references resolve inside the Bundle; ids are
stable; pain carries LOINC 72514-3; notes only when asked; `/clinic/patients/<id>/fhir/` is for
the assigned clinician only, audited, rate limited, and reads a fixed number of queries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from api.fhir import build_bundle
from api.fhir.codes import full_url
from outcomes.models import Response
from plans import services as plan_services
from plans.demo import seed
from plans.models import Plan, PlanWeek, SessionLog
from recovery.models import AuditEvent, PatientProfile
from tests import support

pytestmark = pytest.mark.django_db

PAIN = "72514-3"
DURATION = "55411-3"


def references(node) -> list[str]:
    """Every `reference` anywhere in a resource."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                found.append(value)
            else:
                found += references(value)
    elif isinstance(node, list):
        for value in node:
            found += references(value)
    return found


def validate(bundle: dict) -> None:
    """The Bundle, and each entry's resource by its own model, as fhir.resources reads them."""
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls))
    ids = [entry["resource"]["id"] for entry in bundle["entry"]]
    assert len(ids) == len(set(ids))
    dangling = {ref for ref in references(bundle["entry"]) if ref not in set(urls)}
    assert not dangling


def of_type(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def codes(concept: dict) -> set[str]:
    return {coding["code"] for coding in concept.get("coding", ())}


@pytest.fixture
def demo():
    seed(support.patients_today())
    return PatientProfile.objects.select_related("user").order_by("pk")


def test_every_demo_patients_bundle_validates_and_matches_the_database(demo):
    assert demo.count() >= 6
    for patient in demo:
        bundle = build_bundle(patient)
        validate(bundle)
        assert bundle["type"] == "collection"
        (person,) = of_type(bundle, "Patient")
        assert person["name"][0]["given"] == [patient.user.first_name]
        assert len(of_type(bundle, "Procedure")) == patient.treatments.count()
        plans = Plan.objects.filter(patient=patient)
        assert len(of_type(bundle, "CarePlan")) == plans.count()
        assert len(of_type(bundle, "Goal")) == PlanWeek.objects.filter(plan__in=plans).count()
        sessions = of_type(bundle, "Observation")
        assert len(sessions) == SessionLog.with_deleted.filter(plan__in=plans).count()
        responses = of_type(bundle, "QuestionnaireResponse")
        assert len(responses) == Response.objects.filter(patient=patient).count()
        for observation in sessions:
            assert DURATION in codes(observation["code"])
            assert observation["valueQuantity"]["code"] == "min"


def test_the_demo_covers_every_kind_of_resource(demo):
    kinds = set()
    for patient in demo:
        kinds |= {e["resource"]["resourceType"] for e in build_bundle(patient)["entry"]}
    assert kinds >= {
        "Patient",
        "Procedure",
        "CarePlan",
        "Goal",
        "Observation",
        "QuestionnaireResponse",
    }
    # Rosa answered three visits' questionnaires; her answers and scores are in her Bundle.
    rosa = demo.get(user__username="rosa")
    responses = of_type(build_bundle(rosa), "QuestionnaireResponse")
    assert len(responses) == Response.objects.filter(patient=rosa).count() >= 7
    for response in responses:
        assert response["status"] == "completed"
        score = [item for item in response["item"] if item["linkId"] == "score"]
        stored = Response.objects.get(pk=int(response["id"].rsplit("-", 1)[1])).score
        assert score[0]["answer"][0]["valueDecimal"] == float(stored)


def test_pain_before_and_after_carry_loinc_72514_3(demo):
    ana = demo.get(user__username="patient")
    bundle = build_bundle(ana)
    logs = {log.pk: log for log in SessionLog.objects.filter(plan__patient=ana)}
    checked = 0
    for observation in of_type(bundle, "Observation"):
        log = logs[int(observation["id"].rsplit("-", 1)[1])]
        # Each pain component: LOINC 72514-3, and StepWise's code saying before or after.
        pains = {
            (codes(comp["code"]) - {PAIN}).pop(): comp
            for comp in observation["component"]
            if PAIN in codes(comp["code"])
        }
        assert pains["pain-before"]["valueQuantity"]["value"] == log.pain_before
        assert pains["pain-after"]["valueQuantity"]["value"] == log.pain
        assert observation["valueQuantity"]["value"] == log.minutes
        assert observation["effectiveDateTime"] == log.date.isoformat()
        checked += 1
    assert checked == len(logs) >= 12


def test_careplan_status_follows_the_plan_and_weekly_goals_are_referenced(demo):
    statuses = {}
    for patient in demo:
        bundle = build_bundle(patient)
        goals = {e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Goal"}
        for plan in of_type(bundle, "CarePlan"):
            statuses[plan["id"]] = plan["status"]
            # Its goals are its own weeks, each once, all in the Bundle.
            pk = int(plan["id"].rsplit("-", 1)[1])
            weeks = PlanWeek.objects.filter(plan_id=pk).values_list("pk", flat=True)
            referenced = [ref["reference"] for ref in plan.get("goal", ())]
            assert sorted(referenced) == sorted(full_url("week", week) for week in weeks)
            assert set(referenced) <= goals
            for activity in plan.get("activity", ()):
                assert activity["detail"]["status"] in {"in-progress", "on-hold", "stopped"}
    hector = Plan.objects.get(patient__user__username="hector")  # paused by a warning sign
    assert statuses[f"stepwise-plan-{hector.pk}"] == "on-hold"
    assert "active" in statuses.values()


def test_ids_are_stable_across_calls(demo):
    rosa = demo.get(user__username="rosa")
    first, second = build_bundle(rosa), build_bundle(rosa)
    first.pop("timestamp"), second.pop("timestamp")
    assert first == second
    assert first["entry"][0]["resource"]["id"] == f"stepwise-patient-{rosa.pk}"


def test_a_corrected_session_is_amended_and_a_deleted_one_entered_in_error(ana_plan):
    ana = ana_plan.patient
    today = plan_services.patient_today(ana)
    kept = plan_services.session_log_create(
        patient=ana, day=today, activity="walking", minutes=12, pain_before=1, pain=2
    ).log
    gone = plan_services.session_log_create(
        patient=ana, day=today, activity="walking", minutes=14, pain_before=1, pain=2
    ).log
    SessionLog.objects.filter(pk=kept.pk).update(edited_at=kept.created_at + timedelta(hours=1))
    SessionLog.objects.filter(pk=gone.pk).update(deleted_at=gone.created_at + timedelta(hours=1))
    bundle = build_bundle(PatientProfile.objects.select_related("user").get(pk=ana.pk))
    validate(bundle)
    status = {o["id"]: o["status"] for o in of_type(bundle, "Observation")}
    assert status == {
        f"stepwise-session-{kept.pk}": "amended",
        f"stepwise-session-{gone.pk}": "entered-in-error",
    }


def test_the_record_number_is_an_identifier_and_notes_are_left_out_unless_asked(ana_plan):
    ana = ana_plan.patient
    PatientProfile.objects.filter(pk=ana.pk).update(record_number="MRN-0042", phone="555 010 1234")
    plan_services.session_log_create(
        patient=ana,
        day=plan_services.patient_today(ana),
        activity="walking",
        minutes=12,
        pain_before=1,
        pain=2,
        notes="Private words about my knee.",
    )
    ana = PatientProfile.objects.select_related("user").get(pk=ana.pk)
    bundle = build_bundle(ana)
    (person,) = of_type(bundle, "Patient")
    assert {"system": "phone", "value": "555 010 1234"} in person["telecom"]
    (record,) = [i for i in person["identifier"] if "MR" in codes(i.get("type", {}))]
    assert record["value"] == "MRN-0042"
    assert "Private words" not in json.dumps(bundle)
    with_notes = build_bundle(ana, include_notes=True)
    validate(with_notes)
    (observation,) = of_type(with_notes, "Observation")
    assert observation["note"] == [{"text": "Private words about my knee."}]


def test_the_bundle_reads_a_fixed_number_of_queries(ana_plan):
    ana = PatientProfile.objects.select_related("user").get(pk=ana_plan.patient_id)
    start = ana_plan.start_date

    def log(n: int) -> None:
        SessionLog.objects.bulk_create(
            SessionLog(
                plan=ana_plan,
                date=start + timedelta(days=k % 20),
                week=1 + (k % 20) // 7,
                activity="walking",
                minutes=15,
                pain_before=1,
                pain=2,
            )
            for k in range(n)
        )

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            build_bundle(ana)
        return len(queries)

    log(1)
    one = count()
    log(49)
    assert count() == one == 6


# --- the page --------------------------------------------------------------------------------


def url(patient) -> str:
    return f"/clinic/patients/{patient.pk}/fhir/"


def test_the_assigned_clinician_downloads_it_and_it_is_audited(client, ana_plan, dr_cho):
    client.force_login(dr_cho)
    response = client.get(url(ana_plan.patient))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert "no-store" in response["Cache-Control"]
    bundle = json.loads(response.content)
    validate(bundle)
    event = AuditEvent.objects.get(action="fhir_view")
    assert (event.actor, event.patient_id, event.detail["notes"]) == (
        dr_cho,
        ana_plan.patient_id,
        False,
    )
    client.get(url(ana_plan.patient) + "?notes=1")
    assert AuditEvent.objects.filter(action="fhir_view", detail__notes=True).count() == 1


def test_nobody_else_gets_it(client, ana_plan, ben_plan, dr_dev):
    target = url(ana_plan.patient)
    assert client.get(target)["Location"].startswith("/accounts/login/")
    client.force_login(dr_dev)  # Ben's clinician, not Ana's
    assert client.get(target).status_code == 404
    assert client.get("/clinic/patients/999999/fhir/").status_code == 404
    client.force_login(ana_plan.patient.user)
    assert client.get(target).status_code == 403
    client.force_login(ben_plan.patient.user)
    assert client.get(target).status_code == 403
    assert not AuditEvent.objects.filter(action="fhir_view").exists()


def test_post_is_refused(client, ana_plan, dr_cho):
    client.force_login(dr_cho)
    assert client.post(url(ana_plan.patient)).status_code == 405


def test_it_is_rate_limited(client, ana, dr_cho):
    cache.clear()
    client.force_login(dr_cho)
    answers = [client.get(url(ana)).status_code for _ in range(61)]
    assert answers[:60] == [200] * 60
    assert answers[60] == 429
    assert AuditEvent.objects.filter(action="fhir_view").count() == 60


def test_the_view_reads_a_fixed_number_of_queries(client, ana_plan, dr_cho):
    client.force_login(dr_cho)
    client.get(url(ana_plan.patient))  # warm: the session and the user
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(ana_plan.patient)).status_code == 200
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
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(ana_plan.patient)).status_code == 200
    # The session, its user, the patient, the record's 6, and the audit row.
    assert len(many) == len(few) == 10


def test_the_record_page_links_to_it(client, ana_plan, dr_cho):
    client.force_login(dr_cho)
    page = client.get(f"/clinic/patients/{ana_plan.patient_id}/").content.decode()
    assert f'href="{url(ana_plan.patient)}"' in page
