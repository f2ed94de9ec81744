"""The patient's questionnaire page (/me/questionnaires/<id>/, DESIGN section 5).

Thin: the questionnaire is found through the signed-in patient (`recovery.access`), so another
patient's answers 404; the form validates, `services.questionnaire_answer` stores.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from outcomes import selectors, services
from outcomes.forms import QuestionnaireForm, shown
from outcomes.models import Questionnaire, QuestionnaireStatus
from recovery.access import own_patients, patient_required
from recovery.errors import DomainError


@patient_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = get_object_or_404(
        Questionnaire.objects.select_related("instrument", "patient"),
        pk=questionnaire_id,
        patient__in=own_patients(request.user),
    )
    patient = questionnaire.patient
    today = patient.local_date(timezone.now())
    last_day = questionnaire.closes_on - timedelta(days=1)
    if not questionnaire.is_open_on(today):
        answered = questionnaire.status == QuestionnaireStatus.ANSWERED
        return render(
            request,
            "outcomes/patient/closed.html",
            {"questionnaire": questionnaire, "answered": answered, "last_day": last_day},
            status=409 if request.method == "POST" else 200,
        )
    instrument = questionnaire.instrument
    names = services.named_activities(questionnaire) if instrument.patient_named_items else []
    data = request.POST if request.method == "POST" else None
    form = QuestionnaireForm(data, questionnaire=questionnaire, names=names)
    if request.method == "POST" and form.is_valid():
        try:
            services.questionnaire_answer(
                patient=patient, questionnaire_id=questionnaire.pk, **form.answers()
            )
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
        else:
            following = selectors.waiting_questionnaire(patient, today)
            if following is not None:
                messages.success(request, _("Thank you. Your answers are saved. One more:"))
                return redirect("questionnaires:answer", questionnaire_id=following.pk)
            messages.success(request, _("Thank you. Your answers are saved."))
            return redirect(reverse("me:dashboard"))
    return render(
        request,
        "outcomes/patient/answer.html",
        {
            "questionnaire": questionnaire,
            "instrument": instrument,
            "instrument_name": shown(instrument, instrument.name),
            "instrument_intro": shown(instrument, instrument.intro),
            "form": form,
            "names": names,
            "last_day": last_day,
        },
        status=400 if form.errors else 200,
    )
