"""Serving an exercise's picture (DESIGN §9, SECURITY-CHECKS 20).

Pictures are never served by the web server from MEDIA_ROOT or straight from a bucket: this view
checks who asks, then streams the stored file with the content type recorded when it was checked
(never one an uploader chose), `nosniff`, and a policy that lets a browser do nothing with it but
show it.

Who sees which picture:

- a patient: pictures of the exercises their open plan allows them (`exercises_for_plan`, what
  `/me/` shows: active core and stretching exercises at or below the plan's stage, not
  contraindicated for their treatment at that stage). Their tailored programme is always within
  that set (the programme shows a tailored item only while the same rules allow it), so a
  tailored item never opens a picture the rules would hide;
- a clinician: pictures of any active exercise of the library (they tailor programmes from it);
- staff and superusers: every picture (they manage them in the admin);
- anyone else, and any picture not theirs to see: 404, so a picture's existence is not confirmed.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from plans.images import CONTENT_TYPES
from plans.models import ExerciseImage, Plan, PlanStatus
from plans.selectors import exercises_for_plan
from recovery.models import Role

SIZES = ("full", "thumb")


def _patient_images(user) -> QuerySet[ExerciseImage]:
    plan = (
        Plan.objects.filter(patient__user=user, status__in=[PlanStatus.ACTIVE, PlanStatus.PAUSED])
        .select_related("clearance__treatment")
        .order_by()
        .first()
    )
    if plan is None:
        return ExerciseImage.objects.none()
    return ExerciseImage.objects.filter(
        exercise_id__in=[exercise.pk for exercise in exercises_for_plan(plan)]
    )


def images_visible_to(user) -> QuerySet[ExerciseImage]:
    """The pictures `user` may see (see the module's docstring). At most 2 queries before the
    returned one (a patient's plan and the exercises it shows)."""
    if not (user.is_authenticated and user.is_active):
        return ExerciseImage.objects.none()
    if user.is_superuser or (user.is_staff and user.role == Role.STAFF):
        return ExerciseImage.objects.all()
    if user.role == Role.CLINICIAN:
        return ExerciseImage.objects.filter(exercise__active=True)
    if user.role == Role.PATIENT:
        return _patient_images(user)
    return ExerciseImage.objects.none()


@login_required
@require_safe
def exercise_image(request: HttpRequest, pk: int, size: str) -> FileResponse:
    if size not in SIZES:
        raise Http404("No such size.")
    image = (
        images_visible_to(request.user).filter(pk=pk).only("image", "thumbnail", "format").first()
    )
    if image is None:
        raise Http404("No such picture.")
    name = image.image.name if size == "full" else image.thumbnail.name
    try:
        stored = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("The picture's file is missing.") from None
    response = FileResponse(stored, content_type=CONTENT_TYPES[image.format])
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    # Only this person's browser keeps it: who may see a picture depends on who asks.
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
