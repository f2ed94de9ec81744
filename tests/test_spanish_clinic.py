"""The clinician's side in Spanish (issue 23, DESIGN section 10): a clinician whose account
speaks Spanish reads triage, a patient's record, the clearance page, the enrolment form with its
errors, the alert-closing page and the outcome report in Spanish, with no English sentence of the
project's own left; the same pages stay in English for an English-speaking clinician.

"No English sentence left" is checked two ways on every page: (1) no message of the clinician's
side that the catalogue translates (four words or more) appears in English in the Spanish page,
and (2) no sentence reads the same on the English and the Spanish drawing of the page, unless it
is data (names, treatment types, e-mail addresses, numbers).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from outcomes import services as outcome_services
from outcomes.models import Option, Questionnaire
from outcomes.scoring import change
from outcomes.words import change_words, points
from plans.models import PainDuration, Plan, PlanWeek, RedFlag, SessionLog
from plans.wording import explain
from recovery.models import (
    Clearance,
    ClearanceEvent,
    Language,
    TreatmentType,
    User,
    timezone_choices_grouped,
)
from tests.support import patients_today, signed_in, text, url
from tests.test_record import cas_resumed  # noqa: F401  (a fixture)
from tests.test_triage import alert_for, crafted, patient  # noqa: F401  (crafted: a fixture)

pytestmark = pytest.mark.django_db

PO = Path(__file__).resolve().parents[1] / "locale" / "es" / "LC_MESSAGES" / "django.po"
# The files whose words are the clinician's (this area of issue 23).
CLINIC_SOURCES = (
    "templates/plans/clinic/",
    "templates/outcomes/clinic/",
    "plans/forms_clinic/",
    "plans/triage/",
    "plans/record.py",
    "plans/patient_record.py",
    "plans/views_clinic.py",
    "plans/views_clearance.py",
    "plans/services/",
    "plans/models/alerts.py",
    "recovery/models/",
    "recovery/templatetags/ago.py",
    "outcomes/",
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
WORD = re.compile(r"[A-Za-z]{2,}")


def speaking(user: User, language: str) -> User:
    User.objects.filter(pk=user.pk).update(language=language)
    user.refresh_from_db()
    return user


def clinic_english() -> list[str]:
    """The English runs of words of the clinician's messages the catalogue translates: each
    message cut at its placeholders and tags, the runs of four words or more kept."""
    runs = set()
    for entry in polib.pofile(str(PO)).translated_entries():
        if not any(path.startswith(CLINIC_SOURCES) for path, _ in entry.occurrences):
            continue
        translated = entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr
        if translated == entry.msgid:
            continue
        for english in filter(None, (entry.msgid, entry.msgid_plural)):
            for run in PLACEHOLDER.split(re.sub(r"<[^>]+>", "%(tag)s", english)):
                run = " ".join(run.split()).strip(" ,.:;()—")
                if len(WORD.findall(run)) >= 4:
                    runs.add(run)
    return sorted(runs)


def words_of(response) -> str:
    return unescape(text(response))


def assert_no_clinic_english(response) -> None:
    page = words_of(response)
    left = [run for run in clinic_english() if run in page]
    assert not left, f"English left on a Spanish page: {left}"


# --- the same page in both languages ------------------------------------------------------------

READ_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")


# The patient's own progress chart, shown on the record as the patient sees it: its words are the
# patient pages' (templates/plans/patient/_progress_chart.html), translated with them.
PATIENTS_CHART = re.compile(r'<section class="card h-100 clinic-chart".*?</section>', re.S)


def sentences(html: str) -> set[str]:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", PATIENTS_CHART.sub(" ", html), flags=re.S)
    attributes = "|".join(READ_ATTRIBUTES)
    found = re.findall(rf'(?:{attributes})="([^"]*)"', html)
    found += re.split(r"<[^>]+>", html)
    return {" ".join(unescape(chunk).split()) for chunk in found if chunk.strip()}


def data_words() -> set[str]:
    """Data, shown as written in any language, and what another part of issue 23 translates:
    the warning signs' labels (plans/models/choices.py, the patient's words) and the reasons the
    plans' services stored when they paused a plan or decided a week (kept as written)."""
    found = {"StepWise", "English", "Español", "Read this site in English", settings.CLINIC_NAME}
    found |= {str(label) for label in RedFlag.labels}
    found |= set(Plan.objects.values_list("pause_reason", flat=True))
    found |= {str(label) for label in PainDuration.labels}
    # What people wrote: session notes, restrictions, reasons.
    found |= set(SessionLog.with_deleted.values_list("notes", flat=True))
    for field in ("restrictions", "override_reason", "decision_reason"):
        found |= set(Clearance.objects.values_list(field, flat=True))
    found |= set(ClearanceEvent.objects.values_list("reason", flat=True))
    with translation.override("en"):
        for week in PlanWeek.objects.all():  # plans/wording.py: translated by its own helper
            for number in (None, week.week):
                words = explain(
                    week.cause, week.cause_numbers, week.reason, audience="clinician", week=number
                )
                found.add(words)
    for user in User.objects.all():
        found |= {user.first_name, user.last_name, user.get_full_name(), user.username, user.email}
    found |= set(TreatmentType.objects.values_list("name", flat=True))
    found |= {label for _, options in timezone_choices_grouped() for _, label in options}
    return {value for value in found if value}


MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|min)\b")


def is_data(sentence: str, data: set[str]) -> bool:
    stripped = MONTHS.sub(" ", sentence)  # "6 Nov – 12 Nov 2026" reads so in both
    for value in sorted(data, key=len, reverse=True):
        stripped = stripped.replace(value, " ")
    return len(WORD.findall(stripped)) < 2


def same_in_both(client, user: User, path: str, *, method: str = "get", data=None) -> set[str]:
    drawn = {}
    for language in ("en", "es"):
        speaking(user, language)
        response = getattr(client, method)(path, data or {})
        assert response.status_code in (200, 400), (path, response.status_code)
        drawn[language] = sentences(response.content.decode())
    words = data_words()
    return {s for s in drawn["en"] & drawn["es"] if not is_data(s, words)}


# --- triage -----------------------------------------------------------------------------------


def test_triage_in_spanish_with_alerts_and_reasons(crafted, dr_cho):  # noqa: F811
    speaking(dr_cho, Language.SPANISH)
    response = signed_in(dr_cho).get(url("clinic:triage"))
    assert response.status_code == 200
    assert '<html lang="es"' in response.content.decode()
    words = words_of(response)
    for spanish in (
        "Quién le necesita ahora",
        "Agregar un paciente",
        "Necesitan atención",
        "Le necesita ahora:",
        "Señal de alarma de emergencia",
        "Señal de alarma para el mismo día",
        "Reportado hace 2 horas",
        "Cerrar alerta",
        "Semana 2 reducida",
        "Sin sesiones desde hace 20 días",
        "Mantenido dos semanas seguidas",
        "Lista para decidir la autorización",
        "Autorización en espera (demasiado pronto)",
        "Cerradas hoy",
        "Todos los demás",
        "Al día: semana 2",
    ):
        assert spanish in words, spanish
    for english in ("Who needs you now", "Emergency warning sign", "Ready for a clearance"):
        assert english not in words
    assert_no_clinic_english(response)


def test_triage_reads_the_same_in_english_as_before(crafted, dr_cho):  # noqa: F811
    words = words_of(signed_in(dr_cho).get(url("clinic:triage")))
    for english in (
        "Who needs you now",
        "Emergency warning sign",
        "Reported 2 hours ago",
        "Week 2 eased back",
        "No session for 20 days",
        "Ready for a clearance decision",
        "On track: week 2",
    ):
        assert english in words, english


def test_triage_leaves_no_sentence_the_same_in_both_languages(crafted, dr_cho):  # noqa: F811
    client = signed_in(dr_cho)
    assert not same_in_both(client, dr_cho, url("clinic:triage") + "?q=Sally")


# --- the record, an alert, the details ----------------------------------------------------------


def test_a_patients_record_in_spanish(cho, dr_cho, cas_resumed):  # noqa: F811
    plan, _new, _log = cas_resumed
    speaking(dr_cho, Language.SPANISH)
    response = cho.get(reverse("clinic:patient", args=[plan.patient.pk]))
    assert response.status_code == 200
    words = words_of(response)
    for spanish in (
        "Autorización",
        "Semanas de este plan",
        "Cambiar el plan",
        "Planes (lo más reciente primero)",
        "Expediente (lo más reciente primero)",
        "Terminado por una señal de alarma",
        "Plan reanudado como un plan nuevo",
        "Respuesta al dolor",
        "Señales de alarma",
        "El dolor va de 0 a 10 y el esfuerzo de 6 a 20.",
        "Por StepWise, cuando el paciente lo reportó",
        "Pausar el plan",
        "¿Por qué pausar el plan de ejercicio?",
    ):
        assert spanish in words, spanish
    assert "Sesión" in words and "Semana" in words
    assert_no_clinic_english(response)
    # The clearance's events are older than the record's first page: its own filter shows them.
    clearance = cho.get(reverse("clinic:patient", args=[plan.patient.pk]) + "?kind=clearance")
    assert "Autorización pendiente → aprobada" in words_of(clearance)
    assert_no_clinic_english(clearance)


def test_the_record_leaves_no_sentence_the_same_in_both_languages(cho, dr_cho, cas_resumed):  # noqa: F811
    plan = cas_resumed[0]
    left = same_in_both(cho, dr_cho, reverse("clinic:patient", args=[plan.patient.pk]))
    assert not left, "\n".join(sorted(left))


def test_closing_an_alert_and_the_details_page_in_spanish(cho, dr_cho):
    lola = patient("Lola", dr_cho)
    alert = alert_for(lola, ["fever"], hours_ago=1)
    speaking(dr_cho, Language.SPANISH)
    page = cho.get(reverse("clinic:alert_close", args=[alert.pk]))
    words = words_of(page)
    assert "Cerrar una alerta de Lola Tester" in words
    assert "¿Qué se hizo?" in words and "Hablé con el paciente y le di indicaciones" in words
    assert_no_clinic_english(page)
    refused = cho.post(reverse("clinic:alert_close", args=[alert.pk]), {"outcome": "other"})
    assert refused.status_code == 400
    assert "Escriba en la nota qué se hizo." in words_of(refused)
    assert_no_clinic_english(refused)
    details = cho.get(reverse("clinic:patient_details", args=[lola.pk]))
    assert "Contacto e identidad: Lola Tester" in words_of(details)
    assert_no_clinic_english(details)


# --- clearance and enrolment -------------------------------------------------------------------


def test_the_clearance_page_in_spanish(cho, dr_cho, ana):
    speaking(dr_cho, Language.SPANISH)
    response = cho.get(reverse("clinic:clearance", args=[ana.pk]))
    assert response.status_code == 200
    words = words_of(response)
    for spanish in (
        "Autorización para hacer ejercicio de Ana Tester",
        "Mínimo habitual",
        "Esperando una decisión",
        "Primer día del plan de ejercicio",
        "Etapa más alta permitida",
        "Caminar (etapa 1)",
        "Reglas de progresión",
        "Aprobar la autorización",
        "Rechazar la autorización",
        "Historial",
        "Abierta: Pendiente",
    ):
        assert spanish in words, spanish
    assert_no_clinic_english(response)
    assert not same_in_both(cho, dr_cho, reverse("clinic:clearance", args=[ana.pk]))


def test_a_refused_decline_is_said_in_spanish_beside_the_field(cho, dr_cho, ana):
    speaking(dr_cho, Language.SPANISH)
    response = cho.post(
        reverse("clinic:clearance", args=[ana.pk]), {"action": "decline", "decline-reason": "no"}
    )
    assert response.status_code == 400
    words = words_of(response)
    assert "No se guardó nada. Revise el campo marcado abajo." in words
    assert "Escriba un motivo de al menos 10 caracteres." in words
    assert_no_clinic_english(response)


def test_the_enrol_form_with_a_bad_email_in_spanish(cho, dr_cho):
    speaking(dr_cho, Language.SPANISH)
    treatment = TreatmentType.objects.get(name="Epidural steroid injection")
    day = patients_today() - timedelta(days=3)
    response = cho.post(
        url("clinic:enrol"),
        {
            "first_name": "Lucía",
            "last_name": "Pérez",
            "email": "not-an-address",
            "date_of_birth": "1961-04-23",
            "phone": "(555) 010-2030",
            "treatment_type": treatment.pk,
            "procedure_date": day.isoformat(),
            "timezone": "America/New_York",
            "language": "es",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    # The error sits beside its field (crispy's error block after the e-mail input).
    field = html[html.index('id="id_email"') :]
    assert "Escriba un correo electrónico como nombre@ejemplo.org." in field[:1500]
    words = words_of(response)
    assert "No se guardó nada. Corrija esto:" in words
    assert "Correo electrónico" in words and "Idioma del paciente" in words
    assert "Enter an e-mail address" not in words
    assert_no_clinic_english(response)
    empty = same_in_both(cho, dr_cho, url("clinic:enrol"), method="post", data={})
    assert not empty


# --- outcomes ---------------------------------------------------------------------------------


def answered_pain_and_psfs(ana, ana_plan):
    """Ana's baseline and 6-week follow-up: pain 7 → 3, gardening 2 → 6; PGIC missed."""
    outcome_services.questionnaires_schedule()
    client = signed_in(ana)

    def option(score):
        return Option.objects.get(item__instrument__code="pain", score=score).pk

    def answer(q, data):
        client.post(url("questionnaires:answer", questionnaire_id=q.pk), data)

    first = {q.instrument.code: q for q in Questionnaire.objects.filter(patient=ana)}
    answer(first["pain"], {"item_1": option(7)})
    answer(first["psfs"], {"activity_1": "Gardening", "rating_1": "2"})
    start = patients_today() - timedelta(weeks=6)
    type(ana_plan).objects.filter(pk=ana_plan.pk).update(start_date=start)
    outcome_services.questionnaires_schedule()
    later = {q.instrument.code: q for q in Questionnaire.objects.filter(visit="week_6")}
    answer(later["pain"], {"item_1": option(3)})
    answer(later["psfs"], {"rating_1": "6"})


def test_the_outcomes_card_and_report_in_spanish(ana, ana_plan, dr_cho):
    answered_pain_and_psfs(ana, ana_plan)
    speaking(dr_cho, Language.SPANISH)
    client = signed_in(dr_cho)
    record = words_of(client.get(url("clinic:patient", patient_id=ana.pk)))
    assert "Desde el inicio: mejor por 4 puntos, más que los 2 puntos que importan" in record
    assert "Gardening: mejor por 4 puntos, más que los 3 puntos que importan" in record
    report = client.get(url("outcomes:report"))
    words = words_of(report)
    assert "Resultados de sus pacientes" in words
    assert "Mejor al menos por el cambio que importa" in words
    assert "cambio que importa: 2 puntos; un puntaje más alto es peor" in words
    assert_no_clinic_english(report)
    csv = client.get(url("outcomes:report") + "?format=csv").content.decode()
    assert csv.splitlines()[0].startswith("Instrumento,Cambio mínimo importante,")
    speaking(dr_cho, Language.ENGLISH)
    english = client.get(url("outcomes:report") + "?format=csv").content.decode()
    assert english.splitlines()[0].startswith("Instrument,Minimal important change,Higher is")


def test_a_change_is_said_in_the_readers_language():
    better = change(Decimal("7"), Decimal("3.6"), direction="higher_worse", mic=2)
    with translation.override("en"):
        assert change_words(better) == "better by 3.4 points, more than the 2 points that matter"
        assert points(Decimal(1)) == "1 point"
    with translation.override("es"):
        assert change_words(better) == "mejor por 3,4 puntos, más que los 2 puntos que importan"
        assert points(Decimal(1)) == "1 punto"
        same = change(Decimal("4"), Decimal("4"), direction="higher_worse", mic=2)
        assert change_words(same) == "sin cambio (importan 2 puntos)"


def test_scoring_stays_pure():
    """The words moved out: outcomes/scoring.py imports nothing of Django."""
    source = (Path(__file__).resolve().parents[1] / "outcomes" / "scoring.py").read_text()
    assert "django" not in source
