"""Pictures of an exercise (DESIGN §9): add, replace, remove. Staff do it in the admin.

Every file goes through Django's storage API (`default_storage`: the file system, or S3-compatible
storage when configured) under a name chosen here, `exercises/<exercise id>/<random>.<ext>` and
`…-thumb.<ext>`: never the uploader's file name. The content is the re-encoded picture from
`plans.images.check_image`, which this service runs itself (a caller's form may have run it too,
to show its refusal beside the field; the service does not trust that it did).

Nothing half-written: the files are written first, then the row; if the row cannot be written the
new files are deleted before the error goes on. Files a change leaves behind (the replaced or
removed picture's) are deleted only once the transaction has committed, so a rollback never leaves
a row pointing at a deleted file. One case is left to a sweep: the service's own work committed
inside a caller's transaction (the admin's page) that then rolls back. Django has no hook for a
rollback, so those files stay, unreferenced and never served, until `pictures_sweep` (the
`sweep_pictures` command) deletes files no row names once they are older than any upload in flight.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from plans.images import CheckedImage, ImageRefused, check_image
from plans.models import Exercise, ExerciseImage
from plans.models.programme import MAX_EXERCISE_IMAGES
from recovery.audit import audit
from recovery.errors import DomainError

ALT_TEXT_REQUIRED = "Describe what the picture shows, for a patient who cannot see it."
POSITION_RANGE = f"Choose place 1, 2 or {MAX_EXERCISE_IMAGES} for the picture."


def _position_taken(position: int) -> str:
    return f"This exercise already has a picture in place {position}."


def _checked(upload: IO[bytes]) -> CheckedImage:
    try:
        return check_image(upload)
    except ImageRefused as refused:
        raise DomainError(refused.message, field="upload") from None


def _alt_text(alt_text: str) -> str:
    alt_text = (alt_text or "").strip()
    if not alt_text:
        raise DomainError(ALT_TEXT_REQUIRED, field="alt_text")
    return alt_text


def _position(position: int) -> int:
    if not isinstance(position, int) or not 1 <= position <= MAX_EXERCISE_IMAGES:
        raise DomainError(POSITION_RANGE, field="position")
    return position


def _write(exercise_id: int, picture: CheckedImage) -> tuple[str, str]:
    stem = f"exercises/{exercise_id}/{uuid.uuid4().hex}"
    image = default_storage.save(f"{stem}.{picture.extension}", ContentFile(picture.image))
    try:
        thumbnail = default_storage.save(
            f"{stem}-thumb.{picture.extension}", ContentFile(picture.thumbnail)
        )
    except Exception:
        default_storage.delete(image)
        raise
    return image, thumbnail


def _delete_files(*names: str) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def _delete_after_commit(*names: str) -> None:
    transaction.on_commit(lambda: _delete_files(*names))


def _fill(row: ExerciseImage, picture: CheckedImage, names: tuple[str, str]) -> None:
    row.image.name, row.thumbnail.name = names
    row.format = picture.format
    row.width, row.height = picture.width, picture.height


def exercise_image_add(
    *, actor, exercise: Exercise, upload: IO[bytes], alt_text: str, position: int
) -> ExerciseImage:
    """A new picture of `exercise` in place `position` (1–3). Refuses a bad file, missing alt
    text, a place out of range or taken (so a fourth picture) with a DomainError."""
    alt_text = _alt_text(alt_text)
    position = _position(position)
    picture = _checked(upload)
    if ExerciseImage.objects.filter(exercise=exercise, position=position).exists():
        raise DomainError(_position_taken(position), field="position")
    names = _write(exercise.pk, picture)
    row = ExerciseImage(exercise=exercise, position=position, alt_text=alt_text)
    _fill(row, picture, names)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            audit(
                "exercise_image_add",
                actor=actor,
                obj=row,
                exercise=exercise.pk,
                position=position,
                format=picture.format,
            )
    except IntegrityError:
        # Another upload took the place between the check and the insert.
        _delete_files(*names)
        raise DomainError(_position_taken(position), field="position") from None
    except BaseException:
        _delete_files(*names)
        raise
    return row


def exercise_image_change(
    *,
    actor,
    image_id: int,
    alt_text: str,
    position: int,
    upload: IO[bytes] | None = None,
) -> ExerciseImage:
    """Change a picture's alt text or place, and replace its file when `upload` is given (the old
    files are deleted once the change has committed)."""
    alt_text = _alt_text(alt_text)
    position = _position(position)
    picture = _checked(upload) if upload is not None else None
    names: tuple[str, str] | None = None
    try:
        with transaction.atomic():
            row = ExerciseImage.objects.select_for_update().get(pk=image_id)
            old = (row.image.name, row.thumbnail.name)
            if (
                position != row.position
                and ExerciseImage.objects.filter(exercise_id=row.exercise_id, position=position)
                .exclude(pk=row.pk)
                .exists()
            ):
                raise DomainError(_position_taken(position), field="position")
            changed = [
                name
                for name, differs in (
                    ("alt_text", alt_text != row.alt_text),
                    ("position", position != row.position),
                    ("image", picture is not None),
                )
                if differs
            ]
            row.alt_text, row.position = alt_text, position
            if picture is not None:
                names = _write(row.exercise_id, picture)
                _fill(row, picture, names)
            with transaction.atomic():
                row.save()
            audit("exercise_image_change", actor=actor, obj=row, fields=changed)
            if names is not None:
                _delete_after_commit(*old)
    except IntegrityError:
        if names is not None:
            _delete_files(*names)
        raise DomainError(_position_taken(position), field="position") from None
    except BaseException:
        if names is not None:
            _delete_files(*names)
        raise
    return row


def exercise_image_remove(*, actor, image_id: int) -> None:
    """Remove a picture; its files are deleted once the removal has committed."""
    with transaction.atomic():
        row = ExerciseImage.objects.select_for_update().filter(pk=image_id).first()
        if row is None:
            return  # removed already: removing twice is removing once
        names = (row.image.name, row.thumbnail.name)
        audit(
            "exercise_image_remove",
            actor=actor,
            obj=row,
            exercise=row.exercise_id,
            position=row.position,
        )
        row.delete()
        _delete_after_commit(*names)


def exercise_pictures_delete_files(*, exercise_ids: list[int]) -> None:
    """Before exercises are deleted (their picture rows go with them, by CASCADE): delete their
    pictures' files once the deletion has committed. Call it inside the deleting transaction."""
    names = [
        name
        for pair in ExerciseImage.objects.filter(exercise_id__in=exercise_ids).values_list(
            "image", "thumbnail"
        )
        for name in pair
    ]
    if names:
        _delete_after_commit(*names)


SWEEP_AFTER = timedelta(hours=1)


def _stored_under(prefix: str) -> list[str]:
    directories, files = default_storage.listdir(prefix)
    names = [f"{prefix}/{name}" for name in files]
    for directory in directories:
        names += _stored_under(f"{prefix}/{directory}")
    return names


def pictures_sweep(
    *, now: datetime | None = None, older_than: timedelta = SWEEP_AFTER
) -> list[str]:
    """Delete the files under exercises/ that no picture names and that were written more than
    `older_than` ago (a younger one may be an upload whose row is being written). Returns the
    names deleted; running it again deletes nothing more."""
    now = now or timezone.now()
    try:
        stored = _stored_under("exercises")
    except FileNotFoundError:  # nothing was ever uploaded
        return []
    named = {
        name for pair in ExerciseImage.objects.values_list("image", "thumbnail") for name in pair
    }
    deleted = []
    for name in sorted(set(stored) - named):
        if now - default_storage.get_modified_time(name) > older_than:
            default_storage.delete(name)
            deleted.append(name)
    if deleted:
        audit("exercise_image_sweep", outcome="ok", deleted=len(deleted))
    return deleted
