"""An exercise's pictures in its admin page (DESIGN §9): up to three, each with required alt text.

The inline's form checks the file (plans.images) so a refusal shows beside the field and nothing
is stored; saving goes through plans.services.pictures (`ExerciseAdmin.save_formset` calls
`save_pictures`), never through the formset's own save, because a picture is a row *and* two
files under names the service chooses.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from plans.admin.permissions import ExerciseEditorPermissions
from plans.images import MAX_BYTES, MAX_SIDE, ImageRefused, check_image
from plans.models import ExerciseImage
from plans.models.programme import MAX_EXERCISE_IMAGES
from plans.services.pictures import (
    ALT_TEXT_REQUIRED,
    exercise_image_add,
    exercise_image_change,
    exercise_image_remove,
)

POSITION_CHOICES = [(n, f"Picture {n}") for n in range(1, MAX_EXERCISE_IMAGES + 1)]


class ExerciseImageForm(forms.ModelForm):
    upload = forms.FileField(
        label="Picture",
        required=False,
        help_text=f"A JPEG, PNG or WebP picture, at most {MAX_BYTES // (1024 * 1024)} MB and "
        f"{MAX_SIDE:,} px a side. Its details (camera, place) are removed when it is saved.",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    position = forms.TypedChoiceField(label="Place", choices=POSITION_CHOICES, coerce=int)

    class Meta:
        model = ExerciseImage
        fields = ("upload", "alt_text", "position")
        widgets = {"alt_text": forms.TextInput(attrs={"size": 60})}
        error_messages = {"alt_text": {"required": ALT_TEXT_REQUIRED}}

    # The place a new picture takes unless staff choose another: the first free one (set per
    # exercise by ExerciseImageInline.get_formset), so an untouched extra form stays unchanged.
    next_place = 1

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["position"].initial = self.next_place

    def clean_alt_text(self) -> str:
        alt_text = self.cleaned_data["alt_text"].strip()
        if not alt_text:
            raise forms.ValidationError(ALT_TEXT_REQUIRED)
        return alt_text

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if not upload:
            if self.instance.pk is None:
                raise forms.ValidationError("Choose a picture to upload.")
            return None
        try:
            check_image(upload)
        except ImageRefused as refused:
            raise forms.ValidationError(refused.message) from None
        upload.seek(0)
        return upload


class ExerciseImageInline(ExerciseEditorPermissions, admin.StackedInline):
    """Whoever may change the exercise may change its pictures (they are part of it)."""

    model = ExerciseImage
    form = ExerciseImageForm
    fields = ("preview", "upload", "alt_text", "position")
    readonly_fields = ("preview",)
    extra = 1
    max_num = MAX_EXERCISE_IMAGES
    verbose_name = "picture"
    verbose_name_plural = "Pictures (up to three)"

    def get_formset(self, request, obj=None, **kwargs):
        taken = set(obj.images.values_list("position", flat=True)) if obj and obj.pk else set()
        free = next((n for n in range(1, MAX_EXERCISE_IMAGES + 1) if n not in taken), 1)
        kwargs["form"] = type("ExerciseImageForm", (self.form,), {"next_place": free})
        kwargs["validate_max"] = True  # a fourth form is refused, not only not offered
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="Now")
    def preview(self, obj: ExerciseImage | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" style="max-width: 240px; height: auto">',
            reverse("exercise_image", kwargs={"pk": obj.pk, "size": "thumb"}),
            obj.alt_text,
        )


def save_pictures(request, formset) -> None:
    """Save the inline's pictures through the service, and tell the admin what changed (its
    history message reads these lists, which `formset.save()` would otherwise have filled)."""
    exercise = formset.instance
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.deleted_forms:
        if form.instance.pk is not None:
            exercise_image_remove(actor=request.user, image_id=form.instance.pk)
            formset.deleted_objects.append(form.instance)
    for form in formset.initial_forms:
        if form in formset.deleted_forms or not form.has_changed():
            continue
        row = exercise_image_change(
            actor=request.user,
            image_id=form.instance.pk,
            alt_text=form.cleaned_data["alt_text"],
            position=form.cleaned_data["position"],
            upload=form.cleaned_data.get("upload"),
        )
        formset.changed_objects.append((row, form.changed_data))
    for form in formset.extra_forms:
        if not form.has_changed() or form in formset.deleted_forms:
            continue
        row = exercise_image_add(
            actor=request.user,
            exercise=exercise,
            upload=form.cleaned_data["upload"],
            alt_text=form.cleaned_data["alt_text"],
            position=form.cleaned_data["position"],
        )
        formset.new_objects.append(row)
