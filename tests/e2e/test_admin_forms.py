"""The admin forms staff use pass axe at phone, tablet and desktop width (issue 17)."""

from __future__ import annotations

import pytest

from plans.models import Exercise
from tests.e2e.conftest import admin_sign_in, assert_accessible, screenshot


@pytest.mark.parametrize("width", [390, 640, 1280])
def test_the_library_forms_and_lists_pass_axe(page, dee, width):
    exercise = Exercise.objects.create(
        name="Pelvic tilt", category="core", stage=1, instructions="Flatten your back gently."
    )
    page.set_viewport_size({"width": width, "height": 900})
    admin_sign_in(page, dee)
    for name, path in (
        ("add", "/admin/plans/exercise/add/"),
        ("change", f"/admin/plans/exercise/{exercise.pk}/change/"),
        ("import", "/admin/plans/exercise/import/"),
        ("treatment-type", "/admin/recovery/treatmenttype/add/"),
        ("treatment-types", "/admin/recovery/treatmenttype/"),
        ("exercises", "/admin/plans/exercise/"),
    ):
        page.goto(path)
        assert_accessible(page)
        screenshot(page, f"admin-exercise-{name}-{width}")


def test_a_rule_between_two_fields_is_said_above_the_treatment_type_form(page, dee):
    """The smallest step larger than the largest: the database constraint's message, above the
    form, in a page that still passes axe (issue 19)."""
    from recovery.models import TreatmentType

    kind = TreatmentType.objects.get(name="Laminectomy")
    admin_sign_in(page, dee)
    page.goto(f"/admin/recovery/treatmenttype/{kind.pk}/change/")
    page.get_by_label("Smallest weekly step (minutes)").fill("8")
    page.get_by_label("Largest weekly step (minutes)").fill("6")
    page.get_by_role("button", name="Save", exact=True).click()
    note = page.locator(".errornote + .errorlist, ul.errorlist.nonfield")
    assert "cannot be larger than the largest step" in note.first.inner_text()
    assert_accessible(page)
    screenshot(page, "admin-treatment-type-rule-between-fields")
    kind.refresh_from_db()
    assert (kind.default_min_increment, kind.default_max_increment) == (5, 10)
