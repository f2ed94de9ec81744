"""What a patient reads, in Spanish (issue 23, DESIGN section 10): the dashboard with its reason,
history, settings, a warning sign's urgent and emergency pages, the questionnaires StepWise ships,
sign-in and error pages, and the e-mails, in the reader's language; the engine's reasons for every
cause in both persons; and no English sentence of these pages' own messages left on them."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import polib
import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from outcomes import services as outcome_services
from outcomes.models import Questionnaire
from plans import engine
from plans.emails import alert_email, reminder_email
from plans.models import RedFlag, SymptomReport
from plans.wording import AUDIENCES, week_explanation
from recovery.emails import enrolment_email
from recovery.models import Language
from tests.support import patients_today, signed_in, text, url

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"

# The files this suite answers for: a message any of them produces must not reach a Spanish page
# in English.
OWN_FILES = (
    "plans/wording.py",
    "plans/models/choices.py",
    "plans/patient_advice.py",
    "plans/charts.py",
    "plans/views_public.py",
    "plans/services/reports.py",
    "outcomes/forms.py",
    "outcomes/views.py",
    "outcomes/defaults.py",
    "recovery/forms.py",
    "templates/base.html",
    "templates/400.html",
    "templates/403.html",
    "templates/404.html",
    "templates/429.html",
    "templates/500.html",
    "templates/registration/",
    "templates/emails/",
    "templates/outcomes/patient/",
    "templates/plans/reminders_",
    "templates/plans/patient/_urgent.html",
    "templates/plans/patient/_warning_signs.html",
    "templates/plans/patient/_warning_sign_fields.html",
    "templates/plans/patient/_pain_advice.html",
    "templates/plans/patient/_follow_ups.html",
    "templates/plans/patient/symptom_",
    "templates/plans/patient/session_urgent.html",
    "templates/plans/patient/session_unavailable.html",
    "templates/plans/patient/dashboard",
    "templates/plans/patient/_progress_chart.html",
    "templates/plans/patient/_chart_svg.html",
    "templates/plans/patient/history.html",
    "templates/plans/patient/settings.html",
    "templates/plans/patient/base.html",
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _english_fragments() -> list[str]:
    """Literal English runs (more than three words) of the messages our files produce, each
    translated to something else: what an unmarked or untranslated string would leave."""
    fragments = set()
    for entry in polib.pofile(str(PO)):
        if not any(path.startswith(OWN_FILES) for path, _ in entry.occurrences):
            continue
        msgstr = entry.msgstr_plural.get(0) if entry.msgid_plural else entry.msgstr
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            if msgstr == msgid:
                continue
            plain = re.sub(r"<[^>]+>", " ", msgid)
            for run in PLACEHOLDER.split(plain):
                run = " ".join(run.split()).strip(" .,:;")
                if len(run.split()) > 3:
                    fragments.add(run)
    return sorted(fragments)


ENGLISH = _english_fragments()


def assert_spanish(page, *expected: str) -> str:
    """The page says `expected` and none of our own English messages; returns its words."""
    words = text(page) if not isinstance(page, str) else " ".join(page.split())
    words = re.sub(r" ([.,:;])", r"\1", words)  # "minutos </strong>." reads "minutos."
    for sentence in expected:
        assert sentence in words, f"missing: {sentence!r}"
    leaked = [fragment for fragment in ENGLISH if fragment in words]
    assert not leaked, f"English left on a Spanish page: {leaked}"
    return words


def test_the_leak_check_knows_our_messages():
    assert "Call 911 or go to the nearest emergency department now" in ENGLISH
    assert "New loss of control of your bladder or bowels" in ENGLISH
    with pytest.raises(AssertionError, match="English left"):
        assert_spanish(
            "Please do not drive. Call 911 or go to the nearest emergency department now"
        )


@pytest.fixture
def lucia(ana):
    """Ana, who reads StepWise in Spanish."""
    ana.user.language = Language.SPANISH
    ana.user.save(update_fields=["language"])
    return ana


@pytest.fixture
def lucia_plan(lucia, ana_plan):
    return ana_plan


def symptom_form(**fields) -> dict:
    return {"submission_token": str(uuid.uuid4()), **fields}


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_dashboard_speaks_spanish_with_the_weeks_reason(lucia_plan):
    response = signed_in(lucia_plan.patient).get(
        url("me:dashboard"), headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    assert '<html lang="es">' in response.content.decode()
    words = assert_spanish(
        response,
        "de su plan de ejercicio",
        "Por qué esta cantidad: Esta semana ",
        "Registrar una sesión",
        "Informar de un síntoma",
        "Cuándo ir más despacio o parar",
        "Llame al 911 o vaya ahora mismo a la sala de emergencias más cercana si tiene:",
        "Pérdida del control de la vejiga o del intestino que no tenía antes",
        "Dolor, hinchazón o calor en una pantorrilla",
        "Minutos por semana y dolor después del ejercicio",
    )
    assert re.search(r"Semana \d+ de su plan de ejercicio", words)
    # The week's dates read as Spanish dates ("lunes 1 de diciembre"), not English ones.
    assert re.search(r"Del \w+ \d+ de \w+ al \w+ \d+ de \w+", words), words[:400]
    assert not re.search(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", words)


@pytest.mark.django_db
def test_history_and_settings_speak_spanish(lucia_plan):
    client = signed_in(lucia_plan.patient)
    assert_spanish(
        client.get(url("me:history")),
        "Su historial",
        "Su plan actual",
        "La semana 1 empieza con calma, con 15 minutos por sesión: es la primera semana de su "
        "plan de ejercicio.",
        "Inicio",
    )
    assert_spanish(
        client.get(url("me:settings")),
        "Recordatorios semanales",
        "Mostrar mis páginas y enviar mis correos en",
    )


@pytest.mark.django_db
def test_an_emergency_sign_says_call_911_in_spanish(lucia_plan, settings):
    settings.CLINIC_PHONE = "(555) 777-1234"
    client = signed_in(lucia_plan.patient)
    response = client.post(
        url("me:symptom_new"),
        symptom_form(red_flags_emergency=["saddle_numbness"]),
        follow=True,
    )
    assert SymptomReport.objects.get().red_flags == ["saddle_numbness"]
    words = assert_spanish(
        response,
        "Busque ayuda de emergencia ahora",
        "Llame al 911 o vaya ahora mismo a la sala de emergencias más cercana",
        "Llamar al 911",
        "No maneje usted mismo. Ya se avisó a su equipo de atención y su plan de ejercicio "
        "está en pausa.",
        "Entumecimiento nuevo en la ingle, las nalgas o la parte interna de los muslos",
    )
    assert 'href="tel:911"' in response.content.decode()
    assert "911" in words
    # The dashboard of the paused plan says the same, in Spanish.
    assert_spanish(
        client.get(url("me:dashboard")),
        "Su plan de ejercicio está en pausa",
        "Llame al 911 o vaya ahora mismo a la sala de emergencias más cercana",
    )


@pytest.mark.django_db
def test_a_same_day_sign_says_call_the_care_team_today_in_spanish(lucia_plan, settings):
    settings.CLINIC_PHONE = "(555) 777-1234"
    response = signed_in(lucia_plan.patient).post(
        url("me:symptom_new"),
        symptom_form(red_flags_same_day=["calf_pain"], pain_now="4"),
        follow=True,
    )
    assert_spanish(
        response,
        "Deje de hacer ejercicio y llame hoy mismo a su equipo de atención",
        "Llame hoy al (555) 777-1234 para que puedan ver cómo está.",
        "Si empeora o no logra comunicarse con ellos, llame al 911.",
        "Dolor, hinchazón o calor en una pantorrilla",
        "4 de 10",
    )
    assert 'href="tel:5557771234"' in response.content.decode()


@pytest.mark.django_db
def test_severe_pain_alone_says_rest_in_spanish(lucia_plan):
    response = signed_in(lucia_plan.patient).post(
        url("me:symptom_new"), symptom_form(no_red_flags="on", pain_now="9"), follow=True
    )
    assert_spanish(
        response,
        "Descanse hasta que el dolor se calme",
        "Un dolor de 9 de 10 es intenso.",
        "Si mañana no ha mejorado, o si empeora, llame a su equipo de atención",
    )


@pytest.mark.django_db
def test_the_shipped_questionnaires_speak_spanish(lucia_plan):
    client = signed_in(lucia_plan.patient)
    outcome_services.questionnaires_schedule()
    baseline = {q.instrument.code: q for q in Questionnaire.objects.all()}
    page = client.get(url("questionnaires:answer", questionnaire_id=baseline["pain"].pk))
    assert_spanish(
        page,
        "Dolor promedio",
        "En los últimos 7 días, ¿cuánto le ha dolido la espalda o el cuello, en promedio?",
        "0 – Nada de dolor",
        "10 – El peor dolor que pueda imaginar",
        "Guardar mis respuestas",
    )
    page = client.get(url("questionnaires:answer", questionnaire_id=baseline["psfs"].pk))
    assert_spanish(
        page,
        "Actividades de todos los días (PSFS)",
        "Piense en actividades de todos los días",
        "Actividad 1",
        "¿Qué tan bien puede hacerla hoy?",
        "0 – no puedo hacerla en absoluto",
    )
    # An answer left out is refused in Spanish.
    refused = client.post(url("questionnaires:answer", questionnaire_id=baseline["pain"].pk), {})
    assert_spanish(refused, "Elija una respuesta, por favor.")

    # Six weeks on: the follow-up asks the PGIC too.
    type(lucia_plan).objects.filter(pk=lucia_plan.pk).update(
        start_date=patients_today() - timedelta(weeks=6)
    )
    outcome_services.questionnaires_schedule()
    pgic = Questionnaire.objects.get(visit="week_6", instrument__code="pgic")
    assert_spanish(
        client.get(url("questionnaires:answer", questionnaire_id=pgic.pk)),
        "Cómo han cambiado las cosas (PGIC)",
        "Desde que empezó su plan de ejercicio, ¿cómo describiría su espalda o su cuello en "
        "general?",
        "Muchísimo mejor",
        "Igual, sin cambios",
    )


@pytest.mark.django_db
def test_a_clinic_defined_instrument_is_shown_as_written(lucia_plan):
    from outcomes.forms import shown
    from outcomes.models import Instrument, InstrumentKind

    clinic = Instrument(code="odi", name="Average pain", kind=InstrumentKind.CLINIC)
    shipped = Instrument.objects.get(code="pain")
    with translation.override("es"):
        assert shown(clinic, "Average pain") == "Average pain"
        assert shown(shipped, shipped.name) == "Dolor promedio"
        assert shown(shipped, "") == ""  # never the catalogue's header


@pytest.mark.django_db
def test_signing_in_follows_the_browser():
    page = Client().get(url("login"), headers={"accept-language": "es-US,es;q=0.9"})
    assert_spanish(
        page,
        "Iniciar sesión en StepWise",
        "Correo electrónico o usuario",
        "¿Olvidó su contraseña?",
        "En una emergencia, llame al 911.",
    )
    wrong = Client().post(
        url("login"),
        {"username": "nobody", "password": "wrong-password"},
        headers={"accept-language": "es"},
    )
    assert_spanish(wrong, "El correo electrónico o usuario y la contraseña no coinciden.")


@pytest.mark.django_db
def test_error_pages_speak_spanish(lucia):
    missing = signed_in(lucia).get("/no-such-page/")
    assert missing.status_code == 404
    assert_spanish(missing, "No encontramos esa página", "Ir a su página de inicio")
    with translation.override("es"):
        for name, expected in {
            "400.html": "No pudimos entender esa solicitud",
            "403.html": "Esta página no está disponible para su cuenta",
            "429.html": "Inténtelo de nuevo dentro de unos 15 minutos.",
            "500.html": "Algo salió mal de nuestro lado",
        }.items():
            html = render_to_string(name, {"window_minutes": 15, "CLINIC_PHONE": "555"})
            assert_spanish(text(html), expected, "911")
            assert '<html lang="es">' in html


# --- e-mails ----------------------------------------------------------------------------------


def _reminder(language: str):
    return reminder_email(
        first_name="Lucía",
        email="lucia@example.org",
        week=3,
        minutes=20,
        sessions_per_week=3,
        log_link="https://stepwise.example/me/sessions/new/",
        opt_out_link="https://stepwise.example/reminders/x/",
        language=language,
    )


def test_the_reminder_goes_out_in_spanish_and_in_english():
    spanish = _reminder("es")
    assert spanish.subject == "Su plan de StepWise para la semana 3"
    for part in (spanish.body, spanish.alternatives[0][0]):
        assert_spanish(
            text(part),
            "Hola, Lucía:",
            "Esta es la semana 3 de su plan de ejercicio en StepWise: esta semana, 3 sesiones de "
            "20 minutos.",
            "Recibe este correo una vez por semana.",
        )
    assert '<html lang="es">' in spanish.alternatives[0][0]
    english = _reminder("en")
    assert english.subject == "Your StepWise plan for week 3"
    assert "This is week 3 of your StepWise plan: 3 sessions of 20 minutes this week." in (
        " ".join(english.body.split())
    )
    assert '<html lang="en">' in english.alternatives[0][0]


def test_the_enrolment_email_goes_out_in_spanish_and_in_english():
    def built(language):
        return enrolment_email(
            first_name="Lucía",
            username="lucia@example.org",
            email="lucia@example.org",
            link="https://stepwise.example/set/x/",
            language=language,
        )

    spanish = built("es")
    assert spanish.subject == "Le damos la bienvenida a StepWise: elija su contraseña"
    for part in (spanish.body, spanish.alternatives[0][0]):
        assert_spanish(
            text(part),
            "Hola, Lucía:",
            "StepWise le guía paso a paso en su vuelta al ejercicio.",
            "Su nombre de usuario es: lucia@example.org",
        )
    english = built("en")
    assert english.subject == "Welcome to StepWise: choose your password"
    assert "Your username is: lucia@example.org" in english.body


@pytest.mark.django_db
def test_the_alert_email_is_in_the_clinicians_language(dr_cho):
    def built(language):
        return alert_email(
            clinician_email="cho@example.org",
            clinician_name="Dr Cho",
            patient_id=1,
            urgent=True,
            language=language,
        )

    spanish = built("es")
    assert spanish.subject == "Urgente: un paciente de StepWise necesita su revisión"
    assert_spanish(text(spanish.body), "Un paciente suyo indicó algo en StepWise")
    english = built("en")
    assert english.subject == "Urgent: a StepWise patient needs your review"
    assert "A patient of yours reported something in StepWise" in english.body


# --- the engine's reasons -----------------------------------------------------------------------


def _numbers() -> dict[str, int]:
    """Numbers for every name any cause's sentence reads."""
    return {
        "minutes": 25,
        "prescribed": 30,
        "pain": 9,
        "hours": 36,
        "rise": 4,
        "session_minutes": 50,
        "total": 120,
        "planned_total": 60,
        "completed": 2,
        "planned": 3,
        "needed": 2,
        "step": 5,
        "max_step": 10,
        "target": 45,
        "blank": 1,
    }


ENGLISH_WORDS = re.compile(
    r"\b(the|you|your|week|weeks|minutes?|sessions?|because|pain|last|this|stays|adds)\b"
)


@pytest.mark.parametrize("cause", [c for c in engine.Cause if c is not engine.Cause.NONE], ids=str)
@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_engine_reason_is_a_spanish_sentence(cause, audience):
    numbers = _numbers()
    variants = [numbers, {**numbers, "minutes": 30}, {**numbers, "minutes": 35, "completed": 4}]
    with translation.override("es"):
        for n in variants:
            for week in (None, 1, 2, 5):
                sentence = week_explanation(cause, n, audience=audience, week=week)
                assert sentence, cause
                assert "%(" not in sentence and "%" not in sentence
                assert not ENGLISH_WORDS.search(sentence), sentence
                assert sentence[0].isupper() and sentence.endswith("."), sentence
                if audience == "patient":
                    assert sentence.startswith("Esta semana" if week is None else "La semana")
    with translation.override("en"):  # the English sentence is unchanged by the catalogue
        english = week_explanation(cause, numbers, audience=audience)
        assert not re.search(r"[áéíóúñ¿]", english)


def test_a_few_reasons_read_as_written():
    with translation.override("es"):
        assert week_explanation(
            engine.Cause.SHARP_PAIN, {"minutes": 25, "prescribed": 30}, audience="patient"
        ) == (
            "Esta semana baja de 30 a 25 minutos porque la semana pasada usted indicó dolor "
            "punzante durante o después del ejercicio."
        )
        assert week_explanation(
            engine.Cause.TOO_FEW,
            {"minutes": 30, "completed": 1, "planned": 3, "needed": 2},
            audience="patient",
            week=4,
        ) == (
            "La semana 4 se mantiene en 30 minutos porque en la semana 3 usted completó 1 de 3 "
            "sesiones. Para avanzar, hace falta completar 2 sesiones."
        )
        assert week_explanation(
            engine.Cause.COMFORTABLE,
            {"minutes": 25, "step": 5, "max_step": 5, "completed": 3, "planned": 3, "target": 45},
            audience="clinician",
        ) == (
            "Sube 5 minutos, hasta 25 minutos por sesión: completó 3 de 3 sesiones la semana "
            "pasada, todas con dolor llevadero."
        )


def test_every_warning_sign_has_its_spanish_label():
    with translation.override("es"):
        labels = {flag.value: str(flag.label) for flag in RedFlag}
    with translation.override("en"):
        english = {flag.value: str(flag.label) for flag in RedFlag}
    assert all(labels[code] != english[code] for code in labels)
    assert (
        labels["chest_breathing"] == "Dolor en el pecho, falta de aire repentina o tos con sangre"
    )
    assert "entumecimiento" in labels["both_legs"].lower()


@pytest.mark.django_db
def test_the_reminder_opt_out_answers_in_the_patients_language_whatever_the_browser(lucia):
    from plans.reminders.opt_out import opt_out_token

    link = url("reminders:stop", token=opt_out_token(lucia.pk))
    confirm = Client().get(link, headers={"accept-language": "en"})
    assert '<html lang="es">' in confirm.content.decode()
    assert_spanish(
        confirm, "¿Dejar de recibir los recordatorios semanales?", "Dejar los recordatorios"
    )
    stopped = Client().post(link, headers={"accept-language": "en"})
    assert_spanish(stopped, "Ya no recibirá los correos semanales de recordatorio de StepWise.")


@pytest.mark.django_db
def test_a_password_reset_email_is_in_the_accounts_language(lucia, settings):
    from recovery.models import OutboxEmail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Client().post(
        "/accounts/password_reset/", {"email": lucia.user.email}, headers={"accept-language": "en"}
    )
    sent = OutboxEmail.objects.get(kind="password_reset")
    assert sent.subject == "Elija su contraseña de StepWise"
    assert_spanish(sent.body, "Use este enlace para elegir su contraseña de StepWise.")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("session", "kind"),
    [
        ({"minutes": 15, "pain": 1, "pain_before": 1}, "hold"),
        ({"minutes": 5, "pain": 1, "pain_before": 1}, "hold"),
        ({"minutes": 15, "pain": 8, "pain_before": 1}, "lower"),
    ],
)
def test_what_happens_next_after_a_session_is_said_in_spanish(lucia_plan, session, kind):
    """The advice after logging (plans.patient_advice.outlook): the engine's preview of next week
    is English only, so outside English the same cause is said by plans.wording."""
    from plans import services as plan_services
    from plans.patient_advice import outlook

    patient = lucia_plan.patient
    today = plan_services.patient_today(patient)
    log = plan_services.session_log_create(
        patient=patient, day=today, activity="walking", pain_duration="within_2h", **session
    ).log
    with translation.override("es"):
        seen, _advice = outlook(log, today)
    assert seen.kind == kind
    words = assert_spanish(f"{seen.heading}. {seen.sentence}")
    assert "%(" not in words
    assert not re.search(r"\b(the|you|your|week|minutes|sessions|next)\b", words), words
    assert not re.search(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", words)
