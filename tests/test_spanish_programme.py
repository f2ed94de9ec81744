"""The home programme in Spanish (issue 23): the dose in words, the patient's page and PDF in
the patient's language, and the clinician's printable page and PDF (handed to the patient) in
the PATIENT's language whatever the clinician's."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from plans.programme import dose_words
from plans.services import programme_set
from recovery.models import Language
from tests.support import signed_in, text
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
