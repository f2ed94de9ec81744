"""The home programme in Spanish (issue 23): the dose in words, the patient's page and PDF in
the patient's language, and the clinician's printable page and PDF (handed to the patient) in
the PATIENT's language whatever the clinician's."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from plans import services as plan_services
from plans.demo import load_library
from plans.library import exercise_text
from plans.models import Exercise
from plans.programme import ProgrammeLine, dose_words, programme_for
from plans.resources import CategoryWidget
from plans.services import programme_field, programme_set
from recovery.models import Language
from tests.support import refused, signed_in, text
from tests.test_programme import dose, library, pdf_text  # noqa: F401 (library is a fixture)

pytestmark = pytest.mark.django_db


def test_dose_words_in_spanish():
    with translation.override("es"):
        assert (
            dose_words(1, 10, 5, 2)
            == "10 repeticiones, mantener 5 segundos, 1 serie, dos veces al día"
        )
        assert dose_words(2, 1, None, 1) == "1 repetición, 2 series, una vez al día"
        assert dose_words(None, 8, None, 4) == "8 repeticiones, 4 veces al día"


def test_the_programme_and_its_pdf_speak_the_patients_language(ana, ana_plan, dr_cho, library):  # noqa: F811
    programme_set(patient=ana, actor=dr_cho, items=[dose(library["tilt"])])
    ana.user.language = Language.SPANISH
    ana.user.save(update_fields=["language"])

    page = text(signed_in(ana).get(reverse("me:programme")))
    assert "Su programa de ejercicios en casa" in page
    assert "10 repeticiones, mantener 5 segundos, 1 serie, dos veces al día" in page
    assert "Your exercises" not in page
    words = pdf_text(signed_in(ana).get(reverse("me:programme_pdf")).content)
    assert "Su programa de ejercicios en casa" in words and "Para Ana" in words
    assert "dos veces al día" in words and "llame al 911" in words

    # Dr Cho reads English; what she prints or downloads for Ana is in Ana's Spanish.
    clinic = signed_in(dr_cho)
    page = text(clinic.get(reverse("clinic:programme", args=[ana.pk])))
    assert "Home exercise programme" in page  # her page, in her language
    assert "Muévase despacio y nunca fuerce un estiramiento." in page  # the sheet, in Ana's
    assert "Move slowly and never force a stretch." not in page
    words = pdf_text(clinic.get(reverse("clinic:programme_pdf", args=[ana.pk])).content)
    assert "Su programa de ejercicios en casa" in words
    assert "10 repeticiones, mantener 5 segundos, 1 serie, dos veces al día" in words
    assert "Your home exercise programme" not in words


# --- the starter exercise library (stored English, shown in the reader's language) ---------------

TILTS_ES = "Inclinación pélvica"
TILTS_INSTRUCTIONS_ES = (
    "Acuéstese boca arriba con las rodillas dobladas y los pies apoyados en el suelo. Apriete el "
    "abdomen para pegar suavemente la parte baja de la espalda al suelo, mantenga la posición y "
    "luego relaje."
)
TILTS_CAUTIONS_ES = "Siga respirando todo el tiempo. El movimiento es pequeño y no debe doler."
TILTS_INSTRUCTIONS = (
    "Lie on your back with knees bent and feet flat. Gently flatten the small of your back into "
    "the floor by tightening your stomach, hold, then relax."
)
TILTS_CAUTIONS = "Keep breathing throughout. The movement is small; it should not hurt."


@pytest.fixture
def starters(ana_plan) -> list[ProgrammeLine]:
    """The starter library as `seed_demo` loads it; what Ana's untailored programme holds."""
    load_library()
    return programme_for(ana_plan.patient, today=ana_plan.start_date).lines


def speaks(user, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def test_an_empty_exercise_text_stays_empty():
    # gettext("") is the catalogue's header: a blank caution must not become it.
    with translation.override("es"):
        assert exercise_text("") == ""
        assert exercise_text("Pelvic tilts") == TILTS_ES
        assert exercise_text("Our clinic's own words.") == "Our clinic's own words."


def test_the_starter_library_reads_in_spanish_on_the_page_and_the_pdf(ana, starters):
    speaks(ana.user, Language.SPANISH)
    english = [line.exercise.name for line in starters]
    assert "Pelvic tilts" in english and len(english) > 5
    client = signed_in(ana)

    page = text(client.get(reverse("me:programme")))
    assert f"{TILTS_ES} 10 repeticiones, mantener 5 segundos, 1 serie, dos veces al día" in page
    assert TILTS_INSTRUCTIONS_ES in page
    assert f"Cuidado: {TILTS_CAUTIONS_ES}" in page
    assert "Puente de glúteos suave" in page and "Perro de caza" in page
    for name in english:  # every exercise of the programme, not only the tilts
        assert name not in page
    assert TILTS_INSTRUCTIONS not in page and TILTS_CAUTIONS not in page

    words = pdf_text(client.get(reverse("me:programme_pdf")).content)
    assert TILTS_ES in words and TILTS_INSTRUCTIONS_ES in words
    assert f"Cuidado: {TILTS_CAUTIONS_ES}" in words
    for name in english:
        assert name not in words

    # /me/ and the log form's "which did you do?" ticks too.
    dashboard = text(client.get(reverse("me:dashboard")))
    assert TILTS_ES in dashboard and TILTS_INSTRUCTIONS_ES in dashboard
    assert "Pelvic tilts" not in dashboard
    log_form = client.get(reverse("me:session_new")).content.decode()
    assert f">{TILTS_ES}</label>" in log_form and "Pelvic tilts" not in log_form


def test_english_pages_keep_the_starter_library_as_written(ana, starters):
    client = signed_in(ana)
    page = text(client.get(reverse("me:programme")))
    assert "Pelvic tilts 10 repetitions, hold 5 seconds, 1 set, twice a day" in page
    assert TILTS_INSTRUCTIONS in page and f"Take care: {TILTS_CAUTIONS}" in page
    assert TILTS_ES not in page and TILTS_INSTRUCTIONS_ES not in page
    words = pdf_text(client.get(reverse("me:programme_pdf")).content)
    assert "Pelvic tilts" in words and TILTS_INSTRUCTIONS in words and TILTS_ES not in words


def test_a_text_staff_changed_is_shown_as_written_in_both_languages(ana, starters):
    """Staff renamed the tilts and rewrote their instructions: those have no catalogue entry and
    read the same in both languages; the caution they left alone is still translated."""
    Exercise.objects.filter(name="Pelvic tilts").update(
        name="Pelvic tilts on the mat", instructions="Our clinic's way: flatten your back, slowly."
    )
    client = signed_in(ana)
    for language, caution in [("en", TILTS_CAUTIONS), ("es", TILTS_CAUTIONS_ES)]:
        speaks(ana.user, language)
        page = text(client.get(reverse("me:programme")))
        assert "Pelvic tilts on the mat" in page
        assert "Our clinic's way: flatten your back, slowly." in page
        assert caution in page and TILTS_ES not in page
        words = pdf_text(client.get(reverse("me:programme_pdf")).content)
        assert "Pelvic tilts on the mat" in words
        assert "Our clinic's way: flatten your back, slowly." in words and caution in words


def test_the_clinician_reads_the_library_in_her_language(cho, dr_cho, ana, ana_plan, starters):
    tilts = Exercise.objects.get(name="Pelvic tilts")
    plan_services.session_log_create(
        patient=ana,
        day=plan_services.patient_today(ana),
        activity="walking",
        minutes=20,
        pain_before=1,
        pain=1,
        pain_duration="within_2h",
        exercises_done=[tilts.pk],
    )
    speaks(dr_cho, Language.SPANISH)
    page = text(cho.get(reverse("clinic:patient", args=[ana.pk])))
    assert f"{TILTS_ES}: 1 de 1 sesión" in page  # adherence
    assert page.count(f"{TILTS_ES}: ") == 2  # and what she does now, with its dose
    assert "Pelvic tilts" not in page
    page = text(cho.get(reverse("clinic:programme_tailor", args=[ana.pk])))
    assert f"{TILTS_ES} (tronco, etapa 1)" in page  # the tailoring form
    assert "Pelvic tilts" not in page
    # A refusal of the tailoring service names the exercise in the clinician's language too.
    with translation.override("es"):
        refused(
            lambda: programme_set(patient=ana, actor=dr_cho, items=[dose(tilts, reps=99)]),
            f"{TILTS_ES}: las repeticiones deben estar entre 1 y 50.",
            programme_field(tilts.pk, "reps"),
        )


def test_a_csv_category_is_read_by_its_code_or_its_english_label_whatever_the_language():
    widget = CategoryWidget()
    with translation.override("es"):
        assert widget.clean("Core") == "core"  # as a CSV exported in English says it
        assert widget.clean("flexibilidad") == "flexibility"  # as a Spanish reader says it
        assert widget.clean("cardio") == "cardio"
        with pytest.raises(ValueError, match="is not a category"):
            widget.clean("Yoga")
