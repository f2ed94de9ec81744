"""Staff keep the exercise library in the admin; a patient at that stage sees the new exercise."""

from __future__ import annotations

from datetime import date, timedelta

from plans import services as plan_services
from plans.models import Exercise
from tests.conftest import approve, make_patient
from tests.e2e.conftest import admin_sign_in, login, screenshot


def library() -> None:
    Exercise.objects.create(
        name="Pelvic tilt", category="core", stage=1, instructions="Flatten your back gently."
    )
    Exercise.objects.create(
        name="Hamstring stretch",
        category="flexibility",
        stage=1,
        instructions="Hold for 30 seconds; never bounce.",
    )
    Exercise.objects.create(
        name="Modified plank", category="core", stage=2, instructions="Knees down, 10 seconds."
    )
    Exercise.objects.create(
        name="Old sit-up drill", category="core", stage=3, instructions="Retired.", active=False
    )


def test_staff_adds_a_stage_1_core_exercise_and_the_patient_sees_it(page, browser, dee, dr_cho):
    library()
    admin_sign_in(page, dee)
    page.get_by_role("link", name="Exercises").first.click()
    page.get_by_role("link", name="Add exercise").click()
    page.locator("#id_name").fill("Supine marching")
    page.locator("#id_category").select_option("core")
    page.locator("#id_stage").select_option("1")
    page.locator("#id_instructions").fill(
        "Lie on your back with knees bent.\nLift one foot a few centimetres, then the other."
    )
    page.locator("#id_cautions").fill("Stop if your back pain sharpens.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/plans/exercise/")
    assert "was added successfully" in page.locator(".messagelist").inner_text()
    row = page.get_by_role("row").filter(has_text="Supine marching")
    assert "Core" in row.inner_text()
    screenshot(page, "admin-exercises")
    added = Exercise.objects.get(name="Supine marching", stage=1, active=True)

    page.goto(f"/admin/plans/exercise/{added.pk}/change/")
    preview = page.locator(".stepwise-exercise-preview")
    assert "Lift one foot a few centimetres" in preview.inner_text()
    screenshot(page, "admin-exercise-preview")

    patient = make_patient(
        "pia",
        "Pia",
        dr_cho,
        treatment="Physical therapy / conservative care",
        procedure_date=date.today() - timedelta(days=30),
    )
    approve(patient, start=date.today(), stage=1, activities=("walking",))
    context = browser.new_context(base_url=page.url.split("/admin/")[0])
    patient_page = context.new_page()
    patient_page.set_default_timeout(10_000)
    try:
        login(patient_page, "pia")
        patient_page.wait_for_url("**/me/")
        card = patient_page.locator("article.exercise").filter(has_text="Supine marching")
        card.wait_for()
        assert "Lift one foot a few centimetres" in card.inner_text()
        assert "Stop if your back pain sharpens." in card.inner_text()
    finally:
        context.close()


def test_staff_cannot_open_a_patient_or_a_session_log(page, dee, ana_plan):
    logged = plan_services.session_log_create(
        patient=ana_plan.patient,
        day=date.today() - timedelta(days=1),
        activity="walking",
        minutes=15,
        pain=2,
    )
    admin_sign_in(page, dee)
    assert "Patient profiles" not in page.content()
    assert "Session logs" not in page.content()
    for url in (
        f"/admin/recovery/patientprofile/{ana_plan.patient_id}/change/",
        f"/admin/plans/sessionlog/{logged.log.pk}/change/",
        "/admin/plans/sessionlog/",
    ):
        response = page.goto(url)
        assert response.status in (403, 404), url
        assert "Ana" not in page.content()


def test_staff_imports_a_csv_with_a_bad_row_and_nothing_is_imported(page, dee):
    library()
    admin_sign_in(page, dee)
    page.goto("/admin/plans/exercise/")
    page.get_by_role("link", name="Import").click()
    page.locator("#id_import_file").set_input_files(
        files=[
            {
                "name": "library.csv",
                "mimeType": "text/csv",
                "buffer": (
                    b"name,category,stage,active,instructions,cautions,contraindicated_for\n"
                    b"Cat stretch,flexibility,1,yes,On hands and knees.,,\n"
                    b"Wall sit,strength,7,yes,Back against a wall.,,\n"
                ),
            }
        ]
    )
    page.get_by_role("button", name="Submit").click()
    errors = page.locator("ul.import-error-rows")
    errors.wait_for()
    text = errors.inner_text()
    assert "Row 2 (line 3 of the file)" in text
    assert "category: “strength” is not a category" in text
    assert "stage: The stage must be a whole number from 1 to 4" in text
    assert page.get_by_role("button", name="Confirm import").count() == 0
    screenshot(page, "admin-import-errors")
    assert not Exercise.objects.filter(name__in=["Cat stretch", "Wall sit"]).exists()
