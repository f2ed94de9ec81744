"""The patient's questionnaires (/api/v1/me/questionnaires/…): those open today, one with its
questions as the web form asks them, and answering it through the same form and service."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from api import serializers as out
from api.views.common import (
    DetailSerializer,
    form_data,
    form_errors,
    not_an_object,
    refuse,
)
from api.views.patient import REFUSALS, TAG, PatientView
from outcomes import selectors, services
from outcomes.forms import QuestionnaireForm, shown
from outcomes.models import Questionnaire, QuestionnaireStatus
from recovery.access import own_patient_profile, own_patients
from recovery.errors import DomainError

_ONE_DAY = timedelta(days=1)


def _summary(questionnaire: Questionnaire) -> dict:
    instrument = questionnaire.instrument
    return {
        "id": questionnaire.pk,
        "instrument": {"code": instrument.code, "name": shown(instrument, instrument.name)},
        "visit": questionnaire.visit,
        "opens_on": questionnaire.opens_on,
        "last_day": questionnaire.closes_on - _ONE_DAY,
    }


def _questions(form: QuestionnaireForm) -> list[dict]:
    questions = []
    for name, field in form.fields.items():
        choices = [
            {"value": str(value), "label": str(label)}
            for value, label in getattr(field, "choices", [])
            if value != ""
        ]
        questions.append(
            {
                "name": name,
                "label": str(field.label),
                "help_text": str(field.help_text or ""),
                "required": field.required,
                "kind": "choice" if hasattr(field, "choices") else "text",
                "max_length": getattr(field, "max_length", None),
                "choices": choices,
            }
        )
    return questions


def _own(request, questionnaire_id: int) -> Questionnaire:
    return get_object_or_404(
        Questionnaire.objects.select_related("instrument", "patient"),
        pk=questionnaire_id,
        patient__in=own_patients(request.user),
    )


class QuestionnairesView(PatientView):
    @extend_schema(
        tags=[TAG],
        summary="Questionnaires open today",
        responses={200: out.QuestionnaireOut(many=True), **REFUSALS},
    )
    def get(self, request):
        patient = own_patient_profile(request.user)
        today = patient.local_date(timezone.now())
        due = (
            Questionnaire.objects.filter(
                patient=patient,
                status=QuestionnaireStatus.DUE,
                opens_on__lte=today,
                closes_on__gt=today,
            )
            .select_related("instrument")
            .order_by("opens_on", "id")
        )
        return Response(out.QuestionnaireOut([_summary(q) for q in due], many=True).data)


AnswerErrors = inline_serializer(
    "QuestionnaireErrors",
    fields={
        "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False)
    },
)


class QuestionnaireView(PatientView):
    @extend_schema(
        tags=[TAG],
        summary="One questionnaire and its questions",
        responses={
            200: out.QuestionnaireDetailOut,
            404: OpenApiResponse(DetailSerializer, description="Not one of the patient's own."),
            **REFUSALS,
        },
    )
    def get(self, request, questionnaire_id: int):
        questionnaire = _own(request, questionnaire_id)
        patient = questionnaire.patient
        today = patient.local_date(timezone.now())
        instrument = questionnaire.instrument
        is_open = questionnaire.is_open_on(today)
        questions = []
        if is_open:
            names = (
                services.named_activities(questionnaire) if instrument.patient_named_items else []
            )
            questions = _questions(QuestionnaireForm(questionnaire=questionnaire, names=names))
        body = {
            **_summary(questionnaire),
            "intro": shown(instrument, instrument.intro),
            "open": is_open,
            "answered": questionnaire.status == QuestionnaireStatus.ANSWERED,
            "questions": questions,
        }
        return Response(out.QuestionnaireDetailOut(body).data)

    @extend_schema(
        tags=[TAG],
        summary="Answer a questionnaire",
        description="An object of answers keyed by the questions' names (a choice's value, or "
        "a text): the web form's checks and messages, the same service. Answered once.",
        request={
            "application/json": {
                "type": "object",
                "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            }
        },
        responses={
            201: out.QuestionnaireAnsweredOut,
            400: OpenApiResponse(
                AnswerErrors, description="Messages by question name, and non_field_errors."
            ),
            404: OpenApiResponse(DetailSerializer, description="Not one of the patient's own."),
            409: OpenApiResponse(DetailSerializer, description="Closed, or answered already."),
            **REFUSALS,
        },
    )
    def post(self, request, questionnaire_id: int):
        questionnaire = _own(request, questionnaire_id)
        posted = form_data(request.data)
        if posted is None:
            return not_an_object()
        patient = questionnaire.patient
        today = patient.local_date(timezone.now())
        if not questionnaire.is_open_on(today):
            answered = questionnaire.status == QuestionnaireStatus.ANSWERED
            return Response(
                {
                    "detail": _("You have answered this questionnaire already.")
                    if answered
                    else _("This questionnaire is not open today.")
                },
                status=status.HTTP_409_CONFLICT,
            )
        instrument = questionnaire.instrument
        names = services.named_activities(questionnaire) if instrument.patient_named_items else []
        form = QuestionnaireForm(posted, questionnaire=questionnaire, names=names)
        if form.is_valid():
            try:
                services.questionnaire_answer(
                    patient=patient, questionnaire_id=questionnaire.pk, **form.answers()
                )
            except DomainError as error:
                refuse(form, error, error.field)
            else:
                following = selectors.waiting_questionnaire(patient, today)
                body = {"next_questionnaire": following.pk if following else None}
                return Response(
                    out.QuestionnaireAnsweredOut(body).data, status=status.HTTP_201_CREATED
                )
        return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
