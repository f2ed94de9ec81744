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
