"""The home programme (issue 22, DESIGN §9): the tailoring service's refusals, the read model, the
patient's and the clinician's pages and PDF, the log form's "which did you do?" and adherence."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from pypdf import PdfReader

from plans import services as plan_services
from plans.models import Exercise, ProgrammeItem, SessionExercise, SessionLog
from plans.programme import (
    adherence,
    dose_words,
    programme_exercises,
    programme_for,
)
from plans.services import ItemDose, programme_field, programme_reset, programme_set
from recovery.models import AuditEvent, User
from tests.support import add_exercises, log_form, refused, signed_in, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(ana_plan) -> dict[str, Exercise]:
    made = add_exercises()
    Exercise.objects.filter(pk=made["tilt"].pk).update(
        default_sets=1, default_reps=10, default_hold_seconds=5, default_times_per_day=2
    )
    Exercise.objects.filter(pk=made["hamstring"].pk).update(
        default_sets=1, default_reps=2, default_hold_seconds=30
    )
    Exercise.objects.filter(pk=made["bird_dog"].pk).update(default_sets=2, default_reps=8)
    for exercise in made.values():
        exercise.refresh_from_db()
    return made


def dose(exercise: Exercise, **changes) -> ItemDose:
    values = {
        "exercise_id": exercise.pk,
        "sets": 1,
        "reps": 10,
        "hold_seconds": 5,
        "times_per_day": 2,
        "note": "",
    }
    return ItemDose(**{**values, **changes})


# --- words ---------------------------------------------------------------------------------------


def test_dose_words_read_like_a_sheet_from_the_clinic():
    assert dose_words(1, 10, 5, 2) == "10 repetitions, hold 5 seconds, 1 set, twice a day"
    assert dose_words(2, 1, None, 1) == "1 repetition, 2 sets, once a day"
    assert dose_words(None, None, None, 3) == "three times a day"
    assert dose_words(1, 2, 1, 5) == "2 repetitions, hold 1 second, 1 set, 5 times a day"


# --- the tailoring service -----------------------------------------------------------------------


def test_the_clinician_sets_order_dose_and_note(ana, dr_cho, library):
    tilt, bird = library["tilt"], library["bird_dog"]
    programme_set(
        patient=ana,
        actor=dr_cho,
        items=[dose(bird, sets=3, reps=6, hold_seconds=None, note="Slowly."), dose(tilt)],
    )
    rows = list(ProgrammeItem.objects.filter(patient=ana).order_by("position"))
    assert [(r.exercise_id, r.position, r.sets, r.reps, r.note) for r in rows] == [
        (bird.pk, 1, 3, 6, "Slowly."),
        (tilt.pk, 2, 1, 10, ""),
    ]
    assert rows[0].updated_by == dr_cho
    event = AuditEvent.objects.get(action="programme_set")
    assert event.patient == ana and event.actor == dr_cho
    assert "Slowly." not in str(event.detail)  # free text stays out of the audit log


@pytest.mark.parametrize(
    ("name", "message", "part"),
    [
        ("twist", "Seated twist must not be given after Epidural steroid injection", "include"),
        (
            "plank",
            "Full plank is a stage 3 exercise; this patient's plan allows stage 2",
            "include",
        ),
        ("old", "Retired crunch is no longer offered", "include"),
        ("treadmill", "Treadmill walk is dosed by the plan's weekly minutes", "include"),
    ],
)
def test_an_exercise_the_patient_may_not_have_is_refused(ana, dr_cho, library, name, message, part):
    tilt, bad = library["tilt"], library[name]
    programme_set(patient=ana, actor=dr_cho, items=[dose(tilt)])
    refused(
        lambda: programme_set(patient=ana, actor=dr_cho, items=[dose(tilt), dose(bad)]),
        message,
        programme_field(bad.pk, part),
    )
    # Nothing half-written: the earlier programme stands.
    assert list(ProgrammeItem.objects.values_list("exercise_id", flat=True)) == [tilt.pk]


def test_a_contraindication_until_a_later_stage_is_refused_until_then(ana, dr_cho, library):
    from plans.models import Contraindication
    from recovery.models import TreatmentType

    Contraindication.objects.create(
        exercise=library["hamstring"],
        treatment_type=TreatmentType.objects.get(name="Epidural steroid injection"),
        until_stage=3,
    )
    refused(
        lambda: programme_set(patient=ana, actor=dr_cho, items=[dose(library["hamstring"])]),
        "Hamstring stretch must not be given after Epidural steroid injection until stage 3",
        programme_field(library["hamstring"].pk, "include"),
    )


@pytest.mark.parametrize(
    ("changes", "message", "part"),
    [
        ({"sets": 0}, "sets must be from 1 to 10", "sets"),
        ({"sets": 11}, "sets must be from 1 to 10", "sets"),
        ({"reps": 51}, "repetitions must be from 1 to 50", "reps"),
        ({"hold_seconds": 121}, "the hold (seconds) must be from 1 to 120", "hold_seconds"),
        ({"times_per_day": 0}, "times a day must be from 1 to 6", "times_per_day"),
        ({"times_per_day": 7}, "times a day must be from 1 to 6", "times_per_day"),
        ({"reps": None, "hold_seconds": None}, "give repetitions or a hold", "reps"),
        ({"note": "x" * 501}, "keep the note to 500 characters", "note"),
    ],
)
def test_a_dose_out_of_range_is_refused(ana, dr_cho, library, changes, message, part):
    tilt = library["tilt"]
    refused(
        lambda: programme_set(patient=ana, actor=dr_cho, items=[dose(tilt, **changes)]),
        f"Pelvic tilt: {message}",
        programme_field(tilt.pk, part),
    )
    assert not ProgrammeItem.objects.exists()


def test_an_empty_or_repeated_programme_is_refused(ana, dr_cho, library):
    tilt = library["tilt"]
    refused(
        lambda: programme_set(patient=ana, actor=dr_cho, items=[]),
        "Choose at least one exercise",
        "programme",
    )
    refused(
        lambda: programme_set(patient=ana, actor=dr_cho, items=[dose(tilt), dose(tilt)]),
        "An exercise appears twice",
        "programme",
    )


def test_only_the_assigned_clinician_and_only_with_an_open_plan(ana, ben, dr_dev, library):
    tilt = library["tilt"]
    refused(
        lambda: programme_set(patient=ana, actor=dr_dev, items=[dose(tilt)]),
        "Only the patient's assigned clinician can change this programme.",
    )
    # Ben has no approved clearance in this test: no plan, no programme.
    refused(
        lambda: programme_set(patient=ben, actor=ben.clinician, items=[dose(tilt)]),
        "This patient has no running plan",
    )


def test_reset_returns_to_the_stages_exercises_at_their_default_dose(ana, dr_cho, library):
    programme_set(patient=ana, actor=dr_cho, items=[dose(library["bird_dog"], sets=4)])
    assert programme_reset(patient=ana, actor=dr_cho) == 1
    assert not ProgrammeItem.objects.exists()
    assert AuditEvent.objects.filter(action="programme_reset", patient=ana).exists()
    programme = programme_for(ana, today=plan_services.patient_today(ana))
    assert not programme.tailored
    assert {line.exercise.name: line.dose for line in programme.lines} == {
        "Pelvic tilt": "10 repetitions, hold 5 seconds, 1 set, twice a day",
        "Hamstring stretch": "2 repetitions, hold 30 seconds, 1 set, once a day",
        "Bird dog": "8 repetitions, 2 sets, once a day",
    }


# --- the read model ------------------------------------------------------------------------------


def test_tailored_items_the_plan_no_longer_allows_are_hidden_at_once(
    ana, ana_plan, dr_cho, library
):
    programme_set(
        patient=ana,
        actor=dr_cho,
        items=[dose(library["bird_dog"], note="Keep your hips level."), dose(library["tilt"])],
    )
    today = plan_services.patient_today(ana)
    programme = programme_for(ana, today=today)
    assert [line.exercise.name for line in programme.lines] == ["Bird dog", "Pelvic tilt"]
    assert programme.lines[0].note == "Keep your hips level."
    assert [name for _, name in programme_exercises(ana_plan)] == ["Bird dog", "Pelvic tilt"]

    plan_services.plan_set_stage(plan=ana_plan, actor=dr_cho, stage=1)
    programme = programme_for(ana, today=today)
    assert [line.exercise.name for line in programme.lines] == ["Pelvic tilt"]
    assert [e.name for e in programme.hidden] == ["Bird dog"]
    ana_plan.refresh_from_db()
    assert [name for _, name in programme_exercises(ana_plan)] == ["Pelvic tilt"]

    Exercise.objects.filter(pk=library["tilt"].pk).update(active=False)
    assert programme_for(ana, today=today).lines == []


def test_no_plan_no_programme(ben, library):
    programme = programme_for(ben, today=plan_services.patient_today(ben))
    assert programme.plan is None and programme.lines == []


# --- the patient's page and PDF ------------------------------------------------------------------


def test_the_programme_page_shows_dose_instructions_cautions_note_and_precautions(
    ana, ana_plan, dr_cho, library
):
    today = plan_services.patient_today(ana)
    plan_services.clearance_set_precautions(
        clearance=ana_plan.clearance,
        actor=dr_cho,
        no_bending_until=today + timedelta(days=10),
        lifting_limit_kg=None,
        lifting_limit_until=None,
    )
    programme_set(
        patient=ana, actor=dr_cho, items=[dose(library["tilt"], note="Twice, morning and night.")]
    )
    client = signed_in(ana)
    page = text(client.get(reverse("me:programme")))
    assert "Your home exercise programme" in page
    assert "Pelvic tilt 10 repetitions, hold 5 seconds, 1 set, twice a day" in page
    assert "Lie on your back and gently flatten your lower back." in page
    assert "Take care: Stop if it causes sharp pain." in page
    assert "From your care team: Twice, morning and night." in page
    assert "No bending, lifting or twisting until" in page
    assert "Download PDF" in page and "Print" in page
    assert AuditEvent.objects.filter(
        action="programme_view", patient=ana, actor=ana.user, detail__format="page"
    ).exists()


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_pdf_is_a_real_pdf_with_names_and_doses(ana, ana_plan, dr_cho, library):
    programme_set(
        patient=ana,
        actor=dr_cho,
        items=[dose(library["tilt"]), dose(library["bird_dog"], sets=2, reps=8, hold_seconds=None)],
    )
    response = signed_in(ana).get(reverse("me:programme_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="home-programme-')
    assert response.content.startswith(b"%PDF-")
    words = pdf_text(response.content)
    assert "Your home exercise programme" in words
    assert "For Ana" in words
    assert "Pelvic tilt" in words and "10 repetitions, hold 5 seconds, 1 set, twice a day" in words
    assert "Bird dog" in words and "8 repetitions, 2 sets, twice a day" in words
    assert "Stop if it causes sharp pain." in words
    assert AuditEvent.objects.filter(action="programme_view", detail__format="pdf").exists()


def test_the_pdf_carries_the_pictures_thumbnails(
    ana, ana_plan, dr_cho, library, settings, tmp_path
):
    from django.core.files.base import ContentFile
    from PIL import Image

    from plans.models import ExerciseImage

    settings.MEDIA_ROOT = str(tmp_path)
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 120, 200)).save(buffer, "PNG")
    picture = ExerciseImage(
        exercise=library["tilt"],
        position=1,
        format="png",
        width=120,
        height=80,
        alt_text="Lying on the back, knees bent",
    )
    picture.image.save("tilt.png", ContentFile(buffer.getvalue()), save=False)
    picture.thumbnail.save("tilt-thumb.png", ContentFile(buffer.getvalue()), save=False)
    picture.save()
    response = signed_in(ana).get(reverse("me:programme_pdf"))
    reader = PdfReader(io.BytesIO(response.content))
    assert sum(len(page.images) for page in reader.pages) == 1
    assert "Lying on the back, knees bent" in pdf_text(response.content)

    # A damaged or missing thumbnail leaves the picture out, not the whole PDF.
    picture.thumbnail.save("broken.png", ContentFile(b"not a picture"), save=True)
    response = signed_in(ana).get(reverse("me:programme_pdf"))
    assert response.status_code == 200
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(response.content)).pages) == 0
    assert "Pelvic tilt" in pdf_text(response.content)


def test_a_patient_waiting_for_clearance_is_told_when_it_starts(ben):
    page = text(signed_in(ben).get(reverse("me:programme")))
    assert "start once your care team has cleared you" in page
    response = signed_in(ben).get(reverse("me:programme_pdf"))
    assert "not given you home exercises yet" in pdf_text(response.content)


@pytest.mark.parametrize("length", [1, 3])
def test_the_programme_page_costs_the_same_for_any_length(
    ana, ana_plan, dr_cho, length, django_assert_num_queries
):
    made = [
        Exercise.objects.create(
            name=f"Exercise {n}", category="core", stage=1, instructions="Move.", default_reps=5
        )
        for n in range(length)
    ]
    programme_set(patient=ana, actor=dr_cho, items=[dose(e) for e in made])
    client = signed_in(ana)
    client.get(reverse("me:programme"))
    # The session, the user, the open plan (with its clearance and treatment), the items, the
    # pictures (all at once) and the audit row.
    with django_assert_num_queries(6):
        page = text(client.get(reverse("me:programme")))
    assert f"Exercise {length - 1}" in page


# --- the clinician -------------------------------------------------------------------------------


def test_the_clinician_prints_and_downloads_from_the_record(cho, ana, ana_plan, library):
    record = cho.get(reverse("clinic:patient", args=[ana.pk]))
    html = record.content.decode()
    assert reverse("clinic:programme", args=[ana.pk]) in html
    assert reverse("clinic:programme_pdf", args=[ana.pk]) in html
    page = text(cho.get(reverse("clinic:programme", args=[ana.pk])))
    assert "Home exercise programme" in page and "Pelvic tilt" in page
    pdf = cho.get(reverse("clinic:programme_pdf", args=[ana.pk]))
    assert "Pelvic tilt" in pdf_text(pdf.content)
    assert AuditEvent.objects.filter(action="programme_view", patient=ana).count() == 2


def tailoring(exercises, **rows) -> dict:
    """The tailoring page's form: `rows` maps an exercise to its values (include, sets …)."""
    data = {"action": "save"}
    for exercise in exercises:
        for key, value in rows.get(exercise.name, {}).items():
            data[f"programme-{programme_field(exercise.pk, key)}"] = value
    return data


def test_the_record_lists_the_programme_and_links_to_its_page(cho, ana, ana_plan, library):
    response = cho.get(reverse("clinic:patient", args=[ana.pk]))
    page = text(response)
    assert "Not tailored: the patient does the stage 2 exercises at their usual dose." in page
    assert "Pelvic tilt: 10 repetitions, hold 5 seconds, 1 set, twice a day" in page
    assert "Tailor the programme" in page
    html = response.content.decode()
    assert f'href="{reverse("clinic:programme_tailor", args=[ana.pk])}"' in html
    # The form has a page of its own: the record neither builds nor draws it.
    assert "programme_form" not in response.context and 'id="programme-form"' not in html


def test_the_record_says_when_the_patient_has_no_exercises_now(cho, dr_cho, ana, ana_plan, library):
    # Every exercise of the stage retired from the library: nothing for the patient to do.
    Exercise.objects.update(active=False)
    url = reverse("clinic:patient", args=[ana.pk])
    response = cho.get(url)
    assert "No home exercises for this patient at this stage." in text(response)
    assert 'id="programme-lines"' not in response.content.decode()
    assert (
        f'href="{reverse("clinic:programme_tailor", args=[ana.pk])}"' in response.content.decode()
    )

    User.objects.filter(pk=dr_cho.pk).update(language="es")
    assert "Ningún ejercicio en casa para este paciente en esta etapa." in text(cho.get(url))


def test_the_tailoring_page_draws_the_form_for_the_assigned_clinician(
    cho, ana, ana_plan, library, dr_dev
):
    url = reverse("clinic:programme_tailor", args=[ana.pk])
    response = cho.get(url)
    assert response.status_code == 200
    assert response.templates[0].name == "plans/clinic/programme_tailor.html"
    html = response.content.decode()
    assert 'id="programme-form"' in html and "Save programme" in html
    tilt = library["tilt"]
    assert f'name="programme-{programme_field(tilt.pk, "reps")}"' in html
    assert 'id="programme-reset-form"' not in html  # nothing tailored: nothing to reset
    assert AuditEvent.objects.filter(
        action="patient_view", patient=ana, detail__page="programme_tailor"
    ).exists()
    assert not ProgrammeItem.objects.exists()

    assert signed_in(dr_dev).get(url).status_code == 404  # not Dr Dev's patient
    assert signed_in(ana.user).get(url).status_code == 403


def test_the_tailoring_page_without_a_running_plan(cho, ana):
    response = cho.get(reverse("clinic:programme_tailor", args=[ana.pk]))
    assert response.status_code == 200
    assert "No running plan: the programme starts once clearance is approved." in text(response)
    assert 'id="programme-form"' not in response.content.decode()


def test_the_tailoring_page_saves_and_errors_sit_beside_the_field(cho, ana, ana_plan, library):
    tilt, bird = library["tilt"], library["bird_dog"]
    url = reverse("clinic:programme_tailor", args=[ana.pk])
    bad = tailoring(
        [tilt, bird],
        **{
            "Pelvic tilt": {"include": "on", "sets": "1", "reps": "99", "times_per_day": "2"},
            "Bird dog": {"include": "on", "reps": "8", "times_per_day": "1"},
        },
    )
    response = cho.post(url, bad)
    # This page again, not the record, with the error beside the field; nothing stored.
    assert response.status_code == 400
    assert response.templates[0].name == "plans/clinic/programme_tailor.html"
    form = response.context["programme_form"]
    assert form.errors == {programme_field(tilt.pk, "reps"): ["Repetitions: at most 50."]}
    html = response.content.decode()
    assert f'id="id_programme-{programme_field(tilt.pk, "reps")}-error"' in html
    assert 'value="99"' in html  # what was typed stays to be corrected
    assert "Nothing was saved." in text(response)
    assert not ProgrammeItem.objects.exists()

    good = tailoring(
        [tilt, bird],
        **{
            "Pelvic tilt": {"include": "on", "position": "2", "reps": "12", "times_per_day": "2"},
            "Bird dog": {"include": "on", "position": "1", "reps": "8", "times_per_day": "1"},
        },
    )
    response = cho.post(url, good)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/clinic/patients/{ana.pk}/#programme")
    assert list(
        ProgrammeItem.objects.order_by("position").values_list("exercise__name", "reps")
    ) == [("Bird dog", 8), ("Pelvic tilt", 12)]
    record = cho.get(reverse("clinic:patient", args=[ana.pk]))
    page = text(record)
    assert "Tailored by you or a colleague." in page
    assert page.index("Bird dog: 8 repetitions") < page.index("Pelvic tilt: 12 repetitions")
    assert 'id="programme-reset-form"' in cho.get(url).content.decode()

    assert cho.post(url, {"action": "reset"}).status_code == 302
    assert not ProgrammeItem.objects.exists()


def test_a_bad_action_or_no_plan_stores_nothing(cho, ana):
    url = reverse("clinic:programme_tailor", args=[ana.pk])
    assert cho.post(url, {"action": "drop"}).status_code == 400
    response = cho.post(url, {"action": "save"})  # no running plan: back to the record
    assert response.status_code == 302
    assert not ProgrammeItem.objects.exists()


def test_the_service_refusal_appears_beside_the_exercise(
    cho, ana, ana_plan, library, dr_cho, monkeypatch
):
    """A stage lowered in another tab: the form offered bird dog, the service refuses it."""
    bird = library["bird_dog"]
    url = reverse("clinic:programme_tailor", args=[ana.pk])
    data = tailoring([bird], **{"Bird dog": {"include": "on", "reps": "8", "times_per_day": "1"}})
    original = plan_services.programme_set

    def stage_lowered_meanwhile(**kwargs):
        plan_services.plan_set_stage(plan=ana_plan, actor=dr_cho, stage=1)
        return original(**kwargs)

    monkeypatch.setattr("plans.views_programme.programme_set", stage_lowered_meanwhile)
    response = cho.post(url, data)
    # The form was built for stage 2 before the service ran: the refusal sits beside bird dog.
    assert response.status_code == 400
    assert "Bird dog is a stage 2 exercise" in text(response)
    assert not ProgrammeItem.objects.exists()


# --- done or not ---------------------------------------------------------------------------------


def test_the_log_form_asks_which_programme_exercises_were_done(ana, ana_plan, library):
    client = signed_in(ana)
    page = client.get(reverse("me:session_new")).content.decode()
    assert "Which of your programme exercises did you do? (optional)" in page
    assert "<legend" in page and 'id="programme-done"' in page
    today = plan_services.patient_today(ana)
    data = log_form(ana_plan, today, exercises_done=[library["tilt"].pk, library["bird_dog"].pk])
    response = client.post(reverse("me:session_new"), data)
    assert response.status_code == 302
    log = SessionLog.objects.latest("pk")
    assert set(
        SessionExercise.objects.filter(session_log=log).values_list("exercise", flat=True)
    ) == {
        library["tilt"].pk,
        library["bird_dog"].pk,
    }


@pytest.mark.parametrize("name", ["plank", "twist", "treadmill", "old"])
def test_an_exercise_outside_the_programme_cannot_be_ticked(ana, ana_plan, library, name):
    client = signed_in(ana)
    today = plan_services.patient_today(ana)
    data = log_form(ana_plan, today, exercises_done=[library["tilt"].pk, library[name].pk])
    response = client.post(reverse("me:session_new"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["exercises_done"]
    assert "Tick only exercises of your home programme." in text(response)
    assert not SessionLog.objects.exists() and not SessionExercise.objects.exists()


def test_the_service_refuses_a_tick_outside_the_programme(ana, ana_plan, library):
    today = plan_services.patient_today(ana)
    refused(
        lambda: plan_services.session_log_create(
            patient=ana,
            day=today,
            activity="walking",
            minutes=20,
            pain_before=1,
            pain=1,
            pain_duration="within_2h",
            exercises_done=[library["plank"].pk],
        ),
        "Tick only exercises of your home programme.",
        "exercises_done",
    )


def test_adherence_per_exercise_over_four_weeks(cho, ana, ana_plan, library):
    today = plan_services.patient_today(ana)
    tilt, bird = library["tilt"].pk, library["bird_dog"].pk
    for days_ago, ticks in [(0, [tilt, bird]), (1, [tilt]), (2, []), (30, [tilt])]:
        day = today - timedelta(days=days_ago)
        if day < ana_plan.start_date:
            continue
        plan_services.session_log_create(
            patient=ana,
            day=day,
            activity="walking",
            minutes=20,
            pain_before=1,
            pain=1,
            pain_duration="within_2h",
            exercises_done=ticks,
        )
    done = adherence(ana, today=today)
    assert done.sessions == 3
    assert done.rows == [("Pelvic tilt", 2), ("Bird dog", 1)]
    page = text(cho.get(reverse("clinic:patient", args=[ana.pk])))
    assert "Pelvic tilt: 2 of 3 sessions" in page and "Bird dog: 1 of 3 sessions" in page


def test_a_paused_plan_says_not_to_do_the_exercises(ana, ana_plan, dr_cho, library):
    plan_services.plan_pause(plan=ana_plan, actor=dr_cho, reason="Flare-up reported by phone.")
    client = signed_in(ana)
    page = text(client.get(reverse("me:programme")))
    assert "Your plan is paused. Do not do these exercises" in page
    assert "Pelvic tilt" not in page
    words = pdf_text(client.get(reverse("me:programme_pdf")).content)
    assert "Your plan is paused. Do not do these exercises" in words
    assert "Pelvic tilt" not in words


def test_the_dashboard_shows_the_tailored_programme(ana, ana_plan, dr_cho, library):
    client = signed_in(ana)
    page = text(client.get(reverse("me:dashboard")))
    assert "Hamstring stretch" in page and "Bird dog" in page and "Pelvic tilt" in page
    programme_set(patient=ana, actor=dr_cho, items=[dose(library["bird_dog"])])
    page = text(client.get(reverse("me:dashboard")))
    assert "Bird dog" in page
    assert "Hamstring stretch" not in page and "Pelvic tilt" not in page
