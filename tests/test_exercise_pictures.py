"""Exercise pictures (issue 22, DESIGN §9, SECURITY-CHECKS 20): checked by content, re-encoded
without metadata, stored under generated names through Django's storage, managed by staff in the
admin, served only to those who may see the exercise.

Every picture is generated here with Pillow; MEDIA_ROOT is the test's own directory (conftest)."""

from __future__ import annotations

import io
import os
import struct
import zlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from plans import services as plan_services
from plans.images import MAX_BYTES, ImageRefused, check_image
from plans.models import Contraindication, Exercise, ExerciseImage, ProgrammeItem
from recovery.errors import DomainError
from recovery.models import AuditEvent, TreatmentType
from tests.conftest import approve, make_patient
from tests.support import picture_bytes, picture_upload, signed_in

pytestmark = pytest.mark.django_db

ALT = "Lying on the back, knees bent, the lower back pressed to the floor."
EXERCISES = "/admin/plans/exercise/"


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(data: bytes, name: str = "picture.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def with_gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 40.0)}  # GPS
    return picture_bytes("JPEG", (400, 200), exif=exif.tobytes())


def png_claiming(width: int, height: int) -> bytes:
    """A valid 1×1 PNG whose header (IHDR) is rewritten to claim `width` × `height` pixels."""
    small = picture_bytes("PNG", (1, 1), mode="L")
    body = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    header = struct.pack(">I", 13) + body + struct.pack(">I", zlib.crc32(body))
    return small[:8] + header + small[8 + 25 :]


def too_large_jpeg() -> bytes:
    """Random noise barely compresses: a JPEG over 5 MB within 4,000 px a side."""
    noise = Image.frombytes("RGB", (2600, 2600), __import__("os").urandom(2600 * 2600 * 3))
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=100, subsampling=0)
    data = out.getvalue()
    assert len(data) > MAX_BYTES
    return data


@pytest.fixture
def bridge(db) -> Exercise:
    return Exercise.objects.create(
        name="Pelvic tilt", category="core", stage=1, instructions="Tilt the pelvis gently."
    )


# --- the checks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "kind", "content_type"),
    [("JPEG", "jpeg", "image/jpeg"), ("PNG", "png", "image/png"), ("WEBP", "webp", "image/webp")],
)
def test_a_good_picture_is_kept_by_its_content_and_thumbnailed(fmt, kind, content_type):
    # Named and typed as something else: only the content decides.
    checked = check_image(upload(picture_bytes(fmt, (1200, 900)), "x.gif", "text/html"))
    assert (checked.format, checked.width, checked.height) == (kind, 1200, 900)
    assert checked.content_type == content_type
    assert Image.open(io.BytesIO(checked.image)).format == fmt
    thumb = Image.open(io.BytesIO(checked.thumbnail))
    assert thumb.format == fmt and max(thumb.size) == 480 and thumb.size == (480, 360)


def test_orientation_is_applied_then_every_piece_of_metadata_dropped():
    source = Image.open(io.BytesIO(with_gps_exif()))
    assert source.getexif().get_ifd(0x8825)  # the generated file does carry GPS
    checked = check_image(upload(with_gps_exif(), "holiday.jpg"))
    assert (checked.width, checked.height) == (200, 400)  # turned as the camera said
    result = Image.open(io.BytesIO(checked.image))
    assert dict(result.getexif()) == {}
    assert b"Exif" not in checked.image and b"PhoneMaker" not in checked.image


def test_cmyk_jpeg_and_transparent_palette_png_are_converted_sensibly():
    cmyk = check_image(upload(picture_bytes("JPEG", (64, 64), mode="CMYK")))
    assert Image.open(io.BytesIO(cmyk.image)).mode == "RGB"
    palette = Image.new("P", (32, 32), 0)
    palette.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    palette.paste(1, (8, 8, 24, 24))
    out = io.BytesIO()
    palette.save(out, "PNG", transparency=0)
    checked = Image.open(io.BytesIO(check_image(upload(out.getvalue())).image))
    assert checked.mode == "RGBA"
    assert checked.getpixel((0, 0))[3] == 0 and checked.getpixel((16, 16)) == (0, 255, 0, 255)


def test_a_jpeg_with_html_after_it_is_stored_as_pixels_only():
    polyglot = picture_bytes("JPEG", (100, 100)) + b"<html><script>alert(1)</script></html>"
    checked = check_image(upload(polyglot, "x.html", "text/html"))
    assert checked.format == "jpeg" and b"<script>" not in checked.image


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
REFUSALS = {
    "text named .jpg": (b"Just some words.", "This file is not a JPEG, PNG or WebP picture."),
    "SVG with a script named .png": (SVG, "This file is not a JPEG, PNG or WebP picture."),
    "HTML": (b"<!doctype html><script>alert(1)</script>", "not a JPEG, PNG or WebP"),
    "GIF": (lambda: picture_bytes("GIF", (10, 10)), "not a JPEG, PNG or WebP"),
    "empty": (b"", "This file is empty"),
    "4,001 px wide": (
        lambda: picture_bytes("PNG", (4001, 8), mode="L"),
        "This picture is 4,001 px wide; the most is 4,000 px a side.",
    ),
    "4,001 px high": (lambda: picture_bytes("PNG", (8, 4001), mode="L"), "4,001 px high"),
    "5,000 px claimed": (lambda: png_claiming(5000, 3000), "5,000 px wide"),
    "bomb 10,000 × 10,000": (lambda: png_claiming(10_000, 10_000), "far larger than 4,000"),
    "bomb 100,000 × 100,000": (lambda: png_claiming(100_000, 100_000), "far larger than 4,000"),
    "truncated JPEG": (lambda: half(picture_bytes("JPEG", (600, 400))), "damaged or incomplete"),
    "truncated PNG": (lambda: half(picture_bytes("PNG", (600, 400))), "damaged or incomplete"),
    "PNG without its end": (lambda: picture_bytes("PNG", (600, 400))[:-12], "damaged"),
    "animated PNG": (
        lambda: picture_bytes(
            "PNG", (20, 20), save_all=True, append_images=[Image.new("RGB", (20, 20), "blue")]
        ),
        "This picture is animated",
    ),
    "over 5 MB": (too_large_jpeg, "MB; the most is 5 MB."),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_hostile_or_unfit_file_is_refused_in_one_sentence(case):
    data, message = REFUSALS[case]
    data = data() if callable(data) else data
    with pytest.raises(ImageRefused) as refused:
        check_image(upload(data, "picture.jpg", "image/jpeg"))
    assert message in refused.value.message


def test_the_size_refusal_names_the_size():
    big = SimpleUploadedFile("big.jpg", b"\xff" * (6 * 1024 * 1024 + 200_000))
    with pytest.raises(ImageRefused, match=r"^This picture is 6\.2 MB; the most is 5 MB\.$"):
        check_image(big)


# --- the service -------------------------------------------------------------------------------


def test_adding_stores_the_reencoded_files_under_generated_names(bridge, dee):
    row = plan_services.exercise_image_add(
        actor=dee,
        exercise=bridge,
        upload=upload(with_gps_exif(), "../../etc/passwd.jpg", "image/jpeg"),
        alt_text=f"  {ALT}  ",
        position=1,
    )
    row.refresh_from_db()
    assert (row.format, row.width, row.height, row.alt_text) == ("jpeg", 200, 400, ALT)
    assert row.image.name.startswith(f"exercises/{bridge.pk}/") and row.image.name.endswith(".jpg")
    assert row.thumbnail.name == row.image.name.removesuffix(".jpg") + "-thumb.jpg"
    assert "passwd" not in row.image.name
    # Read back from storage: a JPEG without EXIF (no GPS).
    with default_storage.open(row.image.name) as stored:
        data = stored.read()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825) == {}
    assert dict(Image.open(io.BytesIO(data)).getexif()) == {}
    assert len(stored_files()) == 2
    event = AuditEvent.objects.get(action="exercise_image_add")
    assert event.actor == dee and event.object_id == str(row.pk)
    assert event.detail == {"exercise": bridge.pk, "position": 1, "format": "jpeg"}


@pytest.mark.parametrize("case", ["text named .jpg", "SVG with a script named .png", "over 5 MB"])
def test_a_refused_file_stores_nothing(bridge, dee, case):
    data, message = REFUSALS[case]
    data = data() if callable(data) else data
    with pytest.raises(DomainError) as refused:
        plan_services.exercise_image_add(
            actor=dee, exercise=bridge, upload=upload(data), alt_text=ALT, position=1
        )
    assert message in refused.value.message and refused.value.field == "upload"
    assert not ExerciseImage.objects.exists() and stored_files() == []
    assert not AuditEvent.objects.filter(action__startswith="exercise_image").exists()


def test_alt_text_is_required(bridge, dee):
    with pytest.raises(DomainError, match="Describe what the picture shows"):
        plan_services.exercise_image_add(
            actor=dee, exercise=bridge, upload=picture_upload(), alt_text="   ", position=1
        )
    assert stored_files() == []


def test_a_fourth_picture_is_refused_by_the_service_and_the_database(bridge, dee):
    for place in (1, 2, 3):
        plan_services.exercise_image_add(
            actor=dee, exercise=bridge, upload=picture_upload(), alt_text=ALT, position=place
        )
    for place in (1, 4):
        with pytest.raises(DomainError):
            plan_services.exercise_image_add(
                actor=dee, exercise=bridge, upload=picture_upload(), alt_text=ALT, position=place
            )
    assert len(stored_files()) == 6
    first = ExerciseImage.objects.get(exercise=bridge, position=1)
    for place in (2, 4):  # taken, out of range: the database itself refuses
        with pytest.raises(IntegrityError), transaction.atomic():
            ExerciseImage.objects.create(
                exercise=bridge,
                position=place,
                image=first.image.name,
                thumbnail=first.thumbnail.name,
                format="png",
                width=1,
                height=1,
                alt_text=ALT,
            )


def test_when_the_row_cannot_be_written_the_new_files_are_deleted(bridge, dee, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("plans.services.pictures.audit", fail)
    with pytest.raises(RuntimeError):
        plan_services.exercise_image_add(
            actor=dee, exercise=bridge, upload=picture_upload(), alt_text=ALT, position=1
        )
    assert not ExerciseImage.objects.exists() and stored_files() == []


def test_replacing_and_removing_delete_the_old_files_after_commit(
    bridge, dee, django_capture_on_commit_callbacks
):
    row = plan_services.exercise_image_add(
        actor=dee, exercise=bridge, upload=picture_upload("PNG"), alt_text=ALT, position=1
    )
    old = {row.image.name, row.thumbnail.name}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        changed = plan_services.exercise_image_change(
            actor=dee,
            image_id=row.pk,
            alt_text="Knees bent.",
            position=2,
            upload=picture_upload("WEBP"),
        )
    # Not yet committed: the old files are still there beside the new.
    assert len(stored_files()) == 4 and len(callbacks) == 1
    callbacks[0]()
    assert {str(p.relative_to(settings.MEDIA_ROOT)) for p in stored_files()} == {
        changed.image.name,
        changed.thumbnail.name,
    }
    assert not old & {changed.image.name, changed.thumbnail.name}
    assert (changed.format, changed.position, changed.alt_text) == ("webp", 2, "Knees bent.")

    with django_capture_on_commit_callbacks(execute=True):
        plan_services.exercise_image_remove(actor=dee, image_id=row.pk)
    assert not ExerciseImage.objects.exists() and stored_files() == []
    assert list(
        AuditEvent.objects.filter(action__startswith="exercise_image")
        .order_by("pk")
        .values_list("action", "actor")
    ) == [
        ("exercise_image_add", dee.pk),
        ("exercise_image_change", dee.pk),
        ("exercise_image_remove", dee.pk),
    ]


# --- the admin ---------------------------------------------------------------------------------


def exercise_post(exercise: Exercise, images: list[dict], initial: int = 0) -> dict:
    data = {
        "name": exercise.name,
        "category": exercise.category,
        "stage": str(exercise.stage),
        "active": "on",
        "instructions": exercise.instructions,
        "cautions": "",
        "contraindication_set-TOTAL_FORMS": "0",
        "contraindication_set-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": str(len(images)),
        "images-INITIAL_FORMS": str(initial),
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "3",
    }
    for i, image in enumerate(images):
        data |= {f"images-{i}-{key}": value for key, value in image.items()}
        data[f"images-{i}-exercise"] = str(exercise.pk)
    return data


def test_staff_upload_a_picture_through_the_exercise_page(staff, dee, bridge):
    page = staff.get(f"{EXERCISES}{bridge.pk}/change/")
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    assert b"images-TOTAL_FORMS" in page.content
    response = staff.post(
        f"{EXERCISES}{bridge.pk}/change/",
        exercise_post(
            bridge,
            [{"upload": upload(with_gps_exif(), "me.jpg"), "alt_text": ALT, "position": "1"}],
        ),
    )
    assert response.status_code == 302, response.context["inline_admin_formsets"][1].formset.errors
    row = ExerciseImage.objects.get(exercise=bridge)
    assert (row.position, row.alt_text, row.format) == (1, ALT, "jpeg")
    assert len(stored_files()) == 2
    assert AuditEvent.objects.filter(action="exercise_image_add", actor=dee).count() == 1
    # The page now shows it, through the serving view.
    page = staff.get(f"{EXERCISES}{bridge.pk}/change/")
    assert f"/images/exercises/{row.pk}/thumb/".encode() in page.content
    assert staff.get(f"/images/exercises/{row.pk}/thumb/").status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (SVG, "This file is not a JPEG, PNG or WebP picture."),
        (b"plain text", "This file is not a JPEG, PNG or WebP picture."),
        (png_claiming(100_000, 100_000), "far larger than 4,000 px a side"),
    ],
)
def test_a_bad_file_in_the_admin_is_refused_beside_the_field_and_stores_nothing(
    staff, bridge, data, message
):
    response = staff.post(
        f"{EXERCISES}{bridge.pk}/change/",
        exercise_post(
            bridge, [{"upload": upload(data, "ok.png"), "alt_text": ALT, "position": "1"}]
        ),
    )
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][1].formset
    [error] = formset.forms[0].errors["upload"]
    assert message in error
    assert message.encode() in response.content.replace(b"&#x27;", b"'")
    assert not ExerciseImage.objects.exists() and stored_files() == []


def test_the_admin_requires_alt_text_and_a_file(staff, bridge):
    response = staff.post(
        f"{EXERCISES}{bridge.pk}/change/",
        exercise_post(
            bridge,
            [
                {"upload": picture_upload(), "alt_text": " ", "position": "1"},
                {"alt_text": ALT, "position": "2"},
            ],
        ),
    )
    errors = response.context["inline_admin_formsets"][1].formset.errors
    assert "Describe what the picture shows" in errors[0]["alt_text"][0]
    assert errors[1]["upload"] == ["Choose a picture to upload."]
    assert not ExerciseImage.objects.exists() and stored_files() == []


def test_the_admin_refuses_a_fourth_picture_and_two_in_one_place(staff, bridge):
    four = [{"upload": picture_upload(), "alt_text": ALT, "position": str(n)} for n in (1, 2, 3, 3)]
    response = staff.post(f"{EXERCISES}{bridge.pk}/change/", exercise_post(bridge, four))
    assert response.status_code == 200
    assert "Please submit at most 3 forms." in str(
        response.context["inline_admin_formsets"][1].formset.non_form_errors()
    )
    two = [{"upload": picture_upload(), "alt_text": ALT, "position": "2"} for _ in range(2)]
    response = staff.post(f"{EXERCISES}{bridge.pk}/change/", exercise_post(bridge, two))
    assert response.status_code == 200
    assert not ExerciseImage.objects.exists() and stored_files() == []


def test_staff_replace_and_remove_a_picture_in_the_admin(
    staff, dee, bridge, django_capture_on_commit_callbacks
):
    row = plan_services.exercise_image_add(
        actor=dee, exercise=bridge, upload=picture_upload(), alt_text=ALT, position=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"{EXERCISES}{bridge.pk}/change/",
            exercise_post(
                bridge,
                [
                    {
                        "id": str(row.pk),
                        "upload": picture_upload("JPEG", name="new.jpg"),
                        "alt_text": "A new description.",
                        "position": "1",
                    }
                ],
                initial=1,
            ),
        )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.format, row.alt_text) == ("jpeg", "A new description.")
    assert len(stored_files()) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"{EXERCISES}{bridge.pk}/change/",
            exercise_post(
                bridge,
                [{"id": str(row.pk), "alt_text": row.alt_text, "position": "1", "DELETE": "on"}],
                initial=1,
            ),
        )
    assert response.status_code == 302
    assert not ExerciseImage.objects.exists() and stored_files() == []


# --- serving -----------------------------------------------------------------------------------


@pytest.fixture
def pictures(dee):
    """Pictures of four exercises: one Ana (stage 2, after an injection) sees, one above her
    stage, one contraindicated for her treatment, one inactive."""
    injection = TreatmentType.objects.get(name="Epidural steroid injection")
    rows = {}
    for key, stage, active in (
        ("shown", 1, True),
        ("above", 3, True),
        ("contraindicated", 1, True),
        ("inactive", 1, False),
    ):
        exercise = Exercise.objects.create(
            name=f"Exercise {key}", category="core", stage=stage, instructions="Go.", active=active
        )
        rows[key] = plan_services.exercise_image_add(
            actor=dee, exercise=exercise, upload=picture_upload("WEBP"), alt_text=ALT, position=1
        )
    Contraindication.objects.create(
        exercise=rows["contraindicated"].exercise, treatment_type=injection
    )
    return rows


def picture_url(row: ExerciseImage, size: str = "full") -> str:
    return f"/images/exercises/{row.pk}/{size}/"


def test_a_picture_is_served_with_its_fixed_type_and_no_sniffing(ana_plan, pictures):
    ana = signed_in(ana_plan.patient)
    for size in ("full", "thumb"):
        response = ana.get(picture_url(pictures["shown"], size))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/webp"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == "inline"
        assert response["Cache-Control"].startswith("private")
        assert "sandbox" in response["Content-Security-Policy"]
        body = b"".join(response.streaming_content)
        assert Image.open(io.BytesIO(body)).format == "WEBP"
    assert ana.get(picture_url(pictures["shown"], "original")).status_code == 404
    assert ana.post(picture_url(pictures["shown"])).status_code == 405


def test_a_patient_sees_only_pictures_of_exercises_they_may_do(ana_plan, pictures):
    ana = signed_in(ana_plan.patient)
    got = {key: ana.get(picture_url(row)).status_code for key, row in pictures.items()}
    assert got == {"shown": 200, "above": 404, "contraindicated": 404, "inactive": 404}


def test_tailoring_never_opens_a_picture_the_rules_hide(ana_plan, pictures, dee):
    """A tailored programme shows an item only while the stage, the treatment and the library
    allow it, so tailoring an exercise opens no picture beyond what /me/ shows."""
    ana = ana_plan.patient
    cardio = Exercise.objects.create(name="Recumbent bike", category="cardio", stage=1)
    bike = plan_services.exercise_image_add(
        actor=dee, exercise=cardio, upload=picture_upload(), alt_text=ALT, position=1
    )
    for position, exercise in enumerate(
        (cardio, pictures["above"].exercise, pictures["contraindicated"].exercise), start=1
    ):
        ProgrammeItem.objects.create(patient=ana, exercise=exercise, position=position)
    client = signed_in(ana)
    for row in (bike, pictures["above"], pictures["contraindicated"]):
        assert client.get(picture_url(row)).status_code == 404
    assert client.get(picture_url(pictures["shown"])).status_code == 200


def test_a_patient_without_an_open_plan_sees_none(ana, pictures):
    assert signed_in(ana).get(picture_url(pictures["shown"])).status_code == 404


def test_clinicians_see_the_active_library_and_staff_see_all(dr_cho, dee, root, pictures):
    cho = signed_in(dr_cho)
    got = {key: cho.get(picture_url(row)).status_code for key, row in pictures.items()}
    assert got == {"shown": 200, "above": 200, "contraindicated": 200, "inactive": 404}
    for user in (dee, root):
        client = signed_in(user, verified=True)
        assert {client.get(picture_url(row)).status_code for row in pictures.values()} == {200}


def test_anonymous_is_sent_to_sign_in(client, pictures):
    response = client.get(picture_url(pictures["shown"]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_missing_file_is_a_404_not_a_500(ana_plan, pictures):
    default_storage.delete(pictures["shown"].image.name)
    assert signed_in(ana_plan.patient).get(picture_url(pictures["shown"])).status_code == 404


def test_serving_a_picture_takes_few_queries(ana_plan, pictures, django_assert_max_num_queries):
    ana = signed_in(ana_plan.patient)
    ana.get("/me/")  # the session is warm
    with django_assert_max_num_queries(6):
        assert ana.get(picture_url(pictures["shown"])).status_code == 200


def test_ben_after_fusion_at_stage_1_does_not_see_a_stage_2_picture(dr_dev, dee):
    ben = make_patient(
        "benny",
        "Benny",
        dr_dev,
        treatment="Lumbar fusion",
        procedure_date=date.today() - timedelta(days=60),
    )
    approve(ben, start=date.today() - timedelta(days=6), stage=1, activities=("walking",))
    exercise = Exercise.objects.create(name="Dead bug", category="core", stage=2)
    row = plan_services.exercise_image_add(
        actor=dee, exercise=exercise, upload=picture_upload(), alt_text=ALT, position=1
    )
    assert signed_in(ben).get(picture_url(row)).status_code == 404


@pytest.mark.parametrize("how", ["delete page", "delete selected"])
def test_deleting_an_exercise_deletes_its_pictures_files(
    staff, dee, bridge, how, django_capture_on_commit_callbacks
):
    for place in (1, 2):
        plan_services.exercise_image_add(
            actor=dee, exercise=bridge, upload=picture_upload(), alt_text=ALT, position=place
        )
    assert len(stored_files()) == 4
    with django_capture_on_commit_callbacks(execute=True):
        if how == "delete page":
            response = staff.post(f"{EXERCISES}{bridge.pk}/delete/", {"post": "yes"})
        else:
            response = staff.post(
                EXERCISES,
                {"action": "delete_selected", "_selected_action": [bridge.pk], "post": "yes"},
            )
    assert response.status_code == 302
    assert not Exercise.objects.filter(pk=bridge.pk).exists()
    assert not ExerciseImage.objects.exists() and stored_files() == []


def test_the_sweep_deletes_old_files_no_picture_names_and_nothing_else(bridge, dee):
    """What a rolled-back admin page leaves behind (the service committed its files inside the
    page's transaction): unreferenced, never served, deleted by the sweep once old enough."""
    kept = plan_services.exercise_image_add(
        actor=dee, exercise=bridge, upload=picture_upload(), alt_text=ALT, position=1
    )
    with transaction.atomic():
        plan_services.exercise_image_add(
            actor=dee, exercise=bridge, upload=picture_upload(), alt_text=ALT, position=2
        )
        transaction.set_rollback(True)
    assert len(stored_files()) == 4 and ExerciseImage.objects.count() == 1
    assert plan_services.pictures_sweep() == []  # too young: may be an upload in flight
    later = timezone.now() + timedelta(hours=2)
    deleted = plan_services.pictures_sweep(now=later)
    assert len(deleted) == 2 and kept.image.name not in deleted
    assert {str(p.relative_to(settings.MEDIA_ROOT)) for p in stored_files()} == {
        kept.image.name,
        kept.thumbnail.name,
    }
    assert plan_services.pictures_sweep(now=later) == []  # a second run does nothing
    with default_storage.open(kept.image.name) as still_there:
        assert still_there.read(4) == b"\x89PNG"


def test_the_beat_sweeps_once_a_day_through_the_worker(bridge, dee):
    """Nobody has to remember the command: the beat queues the sweep daily, and the task
    deletes what the command would (an unreferenced file older than an hour), once."""
    from plans.tasks import sweep_pictures
    from stepwise.celery import app

    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "plans.tasks.sweep_pictures"
    ]
    assert len(entries) == 1
    assert entries[0]["schedule"].remaining_estimate(timezone.now()) <= timedelta(days=1)
    assert "plans.tasks.sweep_pictures" in app.tasks
    with transaction.atomic():
        plan_services.exercise_image_add(
            actor=dee, exercise=bridge, upload=picture_upload(), alt_text=ALT, position=1
        )
        transaction.set_rollback(True)
    assert len(stored_files()) == 2
    assert sweep_pictures.apply().get() == 0  # too young: may be an upload in flight
    for path in stored_files():  # written two hours ago
        stamp = (timezone.now() - timedelta(hours=2)).timestamp()
        os.utime(path, (stamp, stamp))
    assert sweep_pictures.apply().get() == 2
    assert stored_files() == [] and sweep_pictures.apply().get() == 0


def test_the_sweep_command_runs_with_nothing_uploaded(db, capsys):
    from django.core.management import call_command

    call_command("sweep_pictures")
    assert "0 unreferenced picture file(s) deleted." in capsys.readouterr().out
