"""Staff add a picture to an exercise in the admin; a bad file is refused beside the field.
The pictures are generated here (tests/support.py); MEDIA_ROOT is the test's own."""

from __future__ import annotations

from plans.models import Exercise, ExerciseImage
from tests.e2e.conftest import admin_sign_in, assert_accessible, screenshot
from tests.support import picture_bytes

ALT = "Lying on the back, knees bent, the lower back pressed to the floor."


def test_staff_upload_a_picture_and_see_a_bad_file_refused(page, dee, tmp_path):
    exercise = Exercise.objects.create(
        name="Pelvic tilt", category="core", stage=1, instructions="Flatten your back gently."
    )
    good = tmp_path / "pelvic-tilt.jpg"
    good.write_bytes(picture_bytes("JPEG", (1200, 800)))
    bad = tmp_path / "drawing.png"
    bad.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    admin_sign_in(page, dee)
    change = f"/admin/plans/exercise/{exercise.pk}/change/"

    page.goto(change)
    page.locator("#id_images-0-upload").set_input_files(str(good))
    page.locator("#id_images-0-alt_text").fill(ALT)
    page.get_by_role("button", name="Save and continue editing").click()
    assert "was changed successfully" in page.locator(".messagelist").inner_text()
    shown = page.get_by_role("img", name=ALT)
    shown.wait_for()
    assert shown.evaluate("img => img.complete && img.naturalWidth") == 480
    assert_accessible(page)
    screenshot(page, "admin-exercise-picture")

    page.locator("#id_images-1-upload").set_input_files(str(bad))
    page.locator("#id_images-1-alt_text").fill("A drawing.")
    page.get_by_role("button", name="Save and continue editing").click()
    assert (
        "This file is not a JPEG, PNG or WebP picture."
        in page.locator("#images-1 .errorlist").inner_text()
    )
    assert_accessible(page)
    screenshot(page, "admin-exercise-picture-refused")
    assert ExerciseImage.objects.filter(exercise=exercise).count() == 1
