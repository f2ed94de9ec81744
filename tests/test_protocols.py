"""Procedure protocols (issue 18, DESIGN section 7): resume at a level, stage gates, wound
healed, activities apart from the core stage, precautions, contraindications."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from plans import services
from plans.demo import load_library
from plans.models import Contraindication, Plan, PlanWeek
from plans.selectors import exercises_for_plan
from recovery.defaults import DEFAULT_TREATMENT_TYPES
from recovery.models import AuditEvent, Clearance, Treatment, TreatmentType
from tests.conftest import approve, make_patient
from tests.support import patients_today, refused, sign_in_to_admin


@pytest.fixture
def paused_at_30(ana):
    """Ana's plan reached 30 minutes a session before a flare-up paused it."""
    today = patients_today()
    plan = approve(ana, start=today - timedelta(days=14), today=today - timedelta(days=14))
    PlanWeek.objects.create(
        plan=plan, week=2, minutes=30, sessions_per_week=3, decision="progress", reason="-"
    )
    services.plan_pause(plan=plan, actor=ana.clinician, reason="Flare-up reported by phone.")
    return plan


def test_a_plan_resumes_at_any_level_up_to_its_last_prescription(paused_at_30, dr_cho):
    assert services.resume_ceiling(paused_at_30) == 30
    new = services.plan_resume(
        plan=paused_at_30, actor=dr_cho, start_minutes=30, today=patients_today()
    )
    week1 = PlanWeek.objects.get(plan=new, week=1)
    assert (week1.minutes, week1.cause) == (30, "resume")
    event = AuditEvent.objects.get(action="plan_resume")
    assert (event.detail["start_minutes"], event.detail["last_prescription"]) == (30, 30)


@pytest.mark.parametrize("minutes", [9, 31])
def test_outside_the_floor_and_the_last_prescription_is_refused(paused_at_30, dr_cho, minutes):
    refused(
        lambda: services.plan_resume(
            plan=paused_at_30, actor=dr_cho, start_minutes=minutes, today=patients_today()
        ),
        "Restart between 10 and 30 minutes (the last prescription).",
        "start_minutes",
    )


def test_the_resume_form_says_the_range_and_holds_to_it(client, dr_cho, paused_at_30):
    client.force_login(dr_cho)
    patient = paused_at_30.patient
    page = client.get(reverse("clinic:patient", args=[patient.pk])).content.decode()
    assert "From 10 up to 30 minutes, the last prescription." in page
    url = reverse("clinic:plan_action", args=[patient.pk])
    response = client.post(url, {"action": "resume", "resume-start_minutes": "31"})
    assert response.status_code == 400
    assert "Restart at 30 minutes at most" in response.content.decode()
    response = client.post(url, {"action": "resume", "resume-start_minutes": "25"})
    assert response.status_code == 302
    new = Plan.objects.filter(patient=patient).latest("pk")
    assert PlanWeek.objects.get(plan=new, week=1).minutes == 25


# --- stage gates (DESIGN §1 rule 9, §7) --------------------------------------------------------

OVERRIDE = "Reviewed in clinic: strong, fully healed, cleared by the surgeon."


@pytest.fixture
def fusion_day_20(dr_cho):
    """A lumbar-fusion patient 20 days after surgery: stage 2 is usually from day 42."""
    return make_patient(
        "fay",
        "Fay",
        dr_cho,
        treatment="Lumbar fusion",
        procedure_date=patients_today() - timedelta(days=20),
    )


def approve_at(patient, stage: int, **extra):
    clearance = patient.clearances.get(status="pending")
    kind = clearance.treatment.treatment_type
    today = patients_today()
    kwargs = {
        "clearance": clearance,
        "actor": patient.clinician,
        "rules": kind.default_rules(),
        "max_stage": stage,
        "allowed_activities": ["walking"],
        "start_date": today,
        "today": today,
    }
    return services.clearance_approve(**{**kwargs, **extra})


def test_the_default_gates_follow_the_design_table(db):
    fusion = TreatmentType.objects.get(name="Lumbar fusion")
    assert [fusion.days_before_stage(s) for s in (1, 2, 3, 4)] == [0, 42, 84, 182]
    therapy = TreatmentType.objects.get(name="Physical therapy / conservative care")
    assert [therapy.days_before_stage(s) for s in (2, 3, 4)] == [0, 14, 42]


@pytest.mark.parametrize("reason", ["", "too soon", "x" * 19])
def test_approving_a_stage_before_its_gate_needs_a_20_character_reason(fusion_day_20, reason):
    error = refused(
        lambda: approve_at(fusion_day_20, 2, stage_override_reason=reason),
        "stage 2 is usually allowed from",
        "stage_override_reason",
    )
    assert "42 days after the procedure" in error.message
    assert "at least 20 characters" in error.message


def test_an_approved_stage_override_is_kept_audited_and_shown(fusion_day_20, client, dr_cho):
    plan = approve_at(fusion_day_20, 2, stage_override_reason=f"  {OVERRIDE}  ")
    assert plan.stage == 2 and plan.stage_override_reason == OVERRIDE
    event = AuditEvent.objects.get(action="stage_override")
    assert event.detail == {"stage": 2}  # the reason is on the plan, not in the audit log
    client.force_login(dr_cho)
    record = client.get(reverse("clinic:patient", args=[fusion_day_20.pk])).content.decode()
    assert "stage override" in record and OVERRIDE in record
    triage = client.get(reverse("clinic:triage")).content.decode()
    row = triage[triage.index("Fay Tester") :][:300]
    assert "stage override" in row


def test_stage_1_has_no_gate(fusion_day_20):
    plan = approve_at(fusion_day_20, 1)
    assert (plan.stage, plan.stage_override_reason) == (1, "")


def test_raising_the_stage_before_its_gate_needs_the_reason_too(fusion_day_20, dr_cho):
    plan = approve_at(fusion_day_20, 1)
    refused(
        lambda: services.plan_set_stage(plan=plan, actor=dr_cho, stage=2),
        "stage 2 is usually allowed from",
        "stage_override_reason",
    )
    raised = services.plan_set_stage(plan=plan, actor=dr_cho, stage=2, override_reason=OVERRIDE)
    assert (raised.stage, raised.stage_override_reason) == (2, OVERRIDE)
    lowered = services.plan_set_stage(plan=plan, actor=dr_cho, stage=1)
    assert (lowered.stage, lowered.stage_override_reason) == (1, "")


def test_after_the_gate_no_override_is_asked(dr_cho):
    patient = make_patient(
        "gus",
        "Gus",
        dr_cho,
        treatment="Lumbar fusion",
        procedure_date=patients_today() - timedelta(days=42),
    )
    plan = approve_at(patient, 2)
    assert (plan.stage, plan.stage_override_reason) == (2, "")


def test_gates_must_increase(db):
    kind = TreatmentType.objects.get(name="Laminectomy")
    kind.days_before_stage_3 = kind.days_before_stage_2
    with pytest.raises(IntegrityError), transaction.atomic():
        kind.save()


def test_the_forms_say_when_each_stage_comes(fusion_day_20, client, dr_cho):
    client.force_login(dr_cho)
    page = client.get(reverse("clinic:clearance", args=[fusion_day_20.pk])).content.decode()
    gate = patients_today() - timedelta(days=20) + timedelta(days=42)
    assert f"stage 2: not before {gate:%-d %b %Y}" in page
    response = client.post(
        reverse("clinic:clearance", args=[fusion_day_20.pk]),
        {
            "action": "approve",
            "approve-start_date": patients_today().isoformat(),
            "approve-max_stage": "2",
            "approve-allowed_activities": ["walking"],
            "approve-start_minutes": "10",
            "approve-min_increment": "5",
            "approve-max_increment": "5",
            "approve-target_minutes": "30",
            "approve-sessions_per_week": "5",
        },
    )
    assert response.status_code == 400
    assert "stage override reason" in response.content.decode()
    assert fusion_day_20.clearances.get().status == "pending"


def test_staff_edit_the_gates_and_are_told_when_they_do_not_increase(client, dee):
    sign_in_to_admin(client, dee)
    kind = TreatmentType.objects.get(name="Laminectomy")
    url = reverse("admin:recovery_treatmenttype_change", args=[kind.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: form.initial.get(name) for name in form.fields if form.initial.get(name) is not None
    }
    data.update(
        contraindicated_activities=form.initial.get("contraindicated_activities") or [],
        contraindicated_exercises=[],
        days_before_stage_2="30",
        days_before_stage_3="30",
        days_before_stage_4="20",
    )
    response = client.post(url, data)
    assert response.status_code == 200
    # A rule between fields, held by the database and said above the form by its constraint.
    assert response.context["adminform"].form.non_field_errors() == [
        "Each stage must come later than the one before it: fewer days before stage 2 than "
        "before stage 3, and before stage 3 than stage 4."
    ]
    assert TreatmentType.objects.get(pk=kind.pk).days_before_stage_2 == 28
    data.update(days_before_stage_2="21", days_before_stage_3="49", days_before_stage_4="91")
    assert client.post(url, data).status_code == 302
    kind.refresh_from_db()
    assert (kind.days_before_stage_2, kind.days_before_stage_3, kind.days_before_stage_4) == (
        21,
        49,
        91,
    )


# --- wound healed (DESIGN §1 rule 2, §7) ------------------------------------------------------


def test_water_after_surgery_needs_the_wound_seen_healed(fusion_day_20):
    refused(
        lambda: approve_at(
            fusion_day_20,
            2,
            allowed_activities=["walking", "water"],
            stage_override_reason=OVERRIDE,
        ),
        "Water exercise needs the date the wound was seen healed.",
        "allowed_activities",
    )


def test_water_is_allowed_once_the_wound_date_is_recorded_at_approval(fusion_day_20):
    healed = patients_today() - timedelta(days=3)
    plan = approve_at(
        fusion_day_20,
        2,
        allowed_activities=["walking", "water"],
        wound_healed_on=healed,
        stage_override_reason=OVERRIDE,
    )
    assert "water" in plan.allowed_activities
    assert plan.clearance.wound_healed_on == healed


@pytest.mark.parametrize("days_ago", [21, -1])
def test_a_wound_date_before_the_procedure_or_after_today_is_refused(fusion_day_20, days_ago):
    refused(
        lambda: approve_at(
            fusion_day_20,
            1,
            allowed_activities=["walking"],
            wound_healed_on=patients_today() - timedelta(days=days_ago),
        ),
        "between the procedure",
        "wound_healed_on",
    )


def test_the_clinician_records_the_wound_later_and_then_allows_water(fusion_day_20, client, dr_cho):
    plan = approve_at(fusion_day_20, 2, stage_override_reason=OVERRIDE)
    refused(
        lambda: services.plan_set_stage(
            plan=plan, actor=dr_cho, stage=2, allowed_activities=["walking", "water"]
        ),
        "Water exercise needs the date",
        "allowed_activities",
    )
    client.force_login(dr_cho)
    url = reverse("clinic:clearance", args=[fusion_day_20.pk])
    assert "Not recorded as healed: no water exercise yet" in client.get(url).content.decode()
    healed = patients_today() - timedelta(days=1)
    response = client.post(url, {"action": "wound", "wound-wound_healed_on": healed.isoformat()})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="wound_healed").exists()
    raised = services.plan_set_stage(
        plan=plan, actor=dr_cho, stage=2, allowed_activities=["walking", "water"]
    )
    assert "water" in raised.allowed_activities


def test_no_wound_no_gate_after_an_injection(ana):
    plan = approve_at(
        ana, 2, allowed_activities=["walking", "water"], stage_override_reason=OVERRIDE
    )
    assert "water" in plan.allowed_activities


def test_an_approved_surgical_clearance_with_water_keeps_it_after_the_migration(
    transactional_db, dr_cho
):
    """The data migration runs on a database built at the migration before it."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    patient = make_patient(
        "wes",
        "Wes",
        dr_cho,
        treatment="Laminectomy",
        procedure_date=patients_today() - timedelta(days=60),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([("recovery", "0008_stage_gates")])
    apps = executor.loader.project_state([("recovery", "0008_stage_gates")]).apps
    old = apps.get_model("recovery", "Clearance")
    old.objects.filter(patient_id=patient.pk).update(
        status="approved",
        decided_at=timezone.now(),
        decided_by_id=dr_cho.pk,
        allowed_activities=["walking", "water"],
        start_date=patients_today(),
        start_minutes=10,
        min_increment=5,
        max_increment=10,
        target_minutes=30,
        sessions_per_week=3,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    clearance = patient.clearances.get()
    assert clearance.wound_healed_on == timezone.now().date()
    assert AuditEvent.objects.filter(
        action="wound_healed_assumed", object_id=str(clearance.pk)
    ).exists()


# --- activities apart from the core stage (DESIGN §1 rule 2) ----------------------------------


def test_first_activities_need_no_stage_and_stage_2_adds_only_core_work():
    from recovery.models import activities_for_stage

    first = ["walking", "water", "recumbent_bike", "stationary_bike"]
    assert activities_for_stage(1) == first
    assert activities_for_stage(2) == first
    assert activities_for_stage(3) == [*first, "elliptical"]
    assert activities_for_stage(4) == [*first, "elliptical", "running"]


def test_a_fusion_patient_cycles_at_stage_1_without_an_override(fusion_day_20):
    plan = approve_at(fusion_day_20, 1, allowed_activities=["walking", "recumbent_bike"])
    assert (plan.stage, plan.allowed_activities) == (1, ["walking", "recumbent_bike"])
    assert plan.stage_override_reason == ""


# --- precautions as data (DESIGN §7) ----------------------------------------------------------


def test_fusion_approval_carries_six_weeks_of_precautions_by_default(fusion_day_20):
    plan = approve_at(fusion_day_20, 1)
    clearance = plan.clearance
    procedure = clearance.treatment.procedure_date
    assert clearance.no_bending_until == procedure + timedelta(weeks=6)
    assert clearance.lifting_limit_kg == Decimal("4.5")
    assert clearance.lifting_limit_until == procedure + timedelta(weeks=6)
    lines = clearance.precautions_on(patients_today())
    assert lines[0].startswith("No bending, lifting or twisting until ")
    assert "Lift nothing heavier than 4.5 kg (10 lb) until " in lines[1]
    assert clearance.precautions_on(procedure + timedelta(weeks=6, days=1)) == []


def test_an_injection_has_no_default_precautions(ana):
    plan = approve_at(ana, 1)
    assert plan.clearance.precautions_on(patients_today()) == []


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"lifting_limit_kg": "4.5"}, "lifting_limit_until", "or neither"),
        ({"lifting_limit_until": "+10"}, "lifting_limit_kg", "or neither"),
        ({"lifting_limit_kg": "80", "lifting_limit_until": "+10"}, "lifting_limit_kg", "0.5 to 50"),
        ({"no_bending_until": "-30"}, "no_bending_until", "between the procedure"),
        ({"no_bending_until": "+1000"}, "no_bending_until", "between the procedure"),
    ],
)
def test_bad_precautions_are_refused_beside_the_field(
    fusion_day_20, dr_cho, values, field, message
):
    plan = approve_at(fusion_day_20, 1)
    today = patients_today()
    given = {
        name: (today + timedelta(days=int(v))) if name.endswith("until") else Decimal(v)
        for name, v in values.items()
    }
    given = {
        name: given.get(name)
        for name in ("no_bending_until", "lifting_limit_kg", "lifting_limit_until")
    }
    refused(
        lambda: services.clearance_set_precautions(clearance=plan.clearance, actor=dr_cho, **given),
        message,
        field,
    )


def test_the_clinician_edits_precautions_and_the_patient_sees_them(fusion_day_20, client, dr_cho):
    approve_at(fusion_day_20, 1, precautions={})
    client.force_login(dr_cho)
    url = reverse("clinic:clearance", args=[fusion_day_20.pk])
    until = patients_today() + timedelta(days=14)
    response = client.post(
        url,
        {
            "action": "precautions",
            "precautions-no_bending_until": until.isoformat(),
            "precautions-lifting_limit_kg": "5",
            "precautions-lifting_limit_until": until.isoformat(),
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="precautions").detail["fields"] == [
        "no_bending_until",
        "lifting_limit_kg",
        "lifting_limit_until",
    ]
    client.force_login(fusion_day_20.user)
    page = client.get(reverse("me:dashboard")).content.decode()
    card = page[page.index('id="precautions"') :][:800]
    assert "No bending, lifting or twisting until" in card
    assert "5 kg (11 lb)" in card


# --- contraindications (DESIGN §7) ------------------------------------------------------------


def shown(kind: TreatmentType, stage: int) -> set[str]:
    """The exercise names a patient after this treatment sees at this stage."""
    plan = Plan(stage=stage, clearance=Clearance(treatment=Treatment(treatment_type=kind)))
    return {e.name for e in exercises_for_plan(plan)}


NEVER_AFTER_LUMBAR_SURGERY = {"Knee-to-chest stretch", "Cat-camel", "Lower-trunk rotation"}


@pytest.mark.parametrize("kind", [row[0] for row in DEFAULT_TREATMENT_TYPES])
def test_no_treatment_type_is_shown_a_contraindicated_exercise_at_any_stage(db, kind):
    load_library()
    kind = TreatmentType.objects.get(name=kind)
    for stage in (1, 2, 3, 4):
        hidden = set(
            Contraindication.objects.blocking(kind.pk, stage).values_list(
                "exercise__name", flat=True
            )
        )
        assert not shown(kind, stage) & hidden, (kind, stage)
        if kind.name in {"Lumbar fusion", "Disc replacement"}:
            assert hidden == NEVER_AFTER_LUMBAR_SURGERY
        elif kind.name == "Cervical fusion (ACDF)":
            assert hidden == ({"Neck side stretch"} if stage < 3 else set())
            assert ("Neck side stretch" in shown(kind, stage)) == (stage >= 3)
        else:
            assert hidden == set()
            assert shown(kind, 2) >= NEVER_AFTER_LUMBAR_SURGERY


def test_the_patients_page_leaves_out_what_their_treatment_must_not_do(fusion_day_20, client):
    load_library()
    approve_at(fusion_day_20, 3, stage_override_reason=OVERRIDE)
    client.force_login(fusion_day_20.user)
    page = client.get(reverse("me:dashboard")).content.decode()
    assert "Bird-dog" in page and "Hamstring stretch" in page
    for name in NEVER_AFTER_LUMBAR_SURGERY:
        assert name not in page


def test_contraindications_are_filled_in_on_an_existing_install(transactional_db):
    """The data migration runs on a database built at the migration before it: a starter-library
    exercise staff never marked gets the seeded contraindications; one they marked keeps theirs."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("plans", "0012_stage_override")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    old_exercise = apps.get_model("plans", "Exercise")
    kinds = apps.get_model("recovery", "TreatmentType").objects
    common = {"category": "flexibility", "stage": 2, "instructions": "Gently."}
    old_exercise.objects.create(name="Cat-camel", **common)
    old_exercise.objects.create(name="neck side stretch", **common)
    marked = old_exercise.objects.create(name="Knee-to-chest stretch", **common)
    marked.contraindicated_for.add(kinds.get(name="Laminectomy"))

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    def pairs(name):
        return {
            (c.treatment_type.name, c.until_stage)
            for c in Contraindication.objects.filter(exercise__name=name)
        }

    assert pairs("Cat-camel") == {("Lumbar fusion", None), ("Disc replacement", None)}
    assert pairs("neck side stretch") == {("Cervical fusion (ACDF)", 3)}
    assert pairs("Knee-to-chest stretch") == {("Laminectomy", None)}


def test_a_contraindication_lasts_for_good_or_until_stage_2_to_4(db):
    load_library()
    row = Contraindication.objects.first()
    row.until_stage = 1
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()
