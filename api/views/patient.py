"""The patient's endpoints (/api/v1/me/…): the same read models as /me/, and every write through
the web form's own form class and service, so the same input gets the same answer.

Every lookup starts from the signed-in patient (`recovery.access`), so another patient's records
are simply not found (404).
"""

from __future__ import annotations

from dataclasses import asdict

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api import requests as bodies
from api import serializers as out
from api.views.common import (
    NON_FIELD,
    DetailSerializer,
    IsPatient,
    errors_serializer,
    form_data,
    form_errors,
    not_an_object,
    rate_limited,
    refuse,
)
from plans import selectors
from plans.forms import SessionLogForm
from plans.forms_reminders import ReminderSettingsForm
from plans.forms_symptoms import SymptomReportForm
from plans.history import history_page
from plans.models import PlanStatus
from plans.programme import programme_for
from plans.services import (
    patient_today,
    plan_close_weeks_shown,
    session_log_create,
    symptom_report_create,
)
from recovery.access import own_patient_profile
from recovery.audit import audit
from recovery.errors import DomainError
from recovery.services import patient_update_reminders

TAG = "patient"
REFUSALS = {
    401: OpenApiResponse(DetailSerializer, description="Not signed in, or a bad device token."),
    403: OpenApiResponse(DetailSerializer, description="Signed in, but not as a patient."),
}


class PatientView(APIView):
    permission_classes = [IsAuthenticated, IsPatient]


# --- this week ----------------------------------------------------------------------------------


class WeekView(PatientView):
    @extend_schema(
        tags=[TAG],
        summary="This week's plan",
        description="What /me/ shows: the plan, this week's minutes × sessions and what is "
        "logged, the last 12 weeks, today's exercises; before a plan, the clearance.",
        responses={200: out.WeekPlanOut, **REFUSALS},
    )
    def get(self, request):
        plan = selectors.own_open_plan(request.user)
        patient = plan.patient if plan else own_patient_profile(request.user)
        today = patient_today(patient)
        if plan is None:
            clearance = selectors.latest_clearance(patient)
            earliest = clearance.treatment.earliest_clearance if clearance else None
            body = {
                "today": today,
                "plan": None,
                "clearance": {
                    "status": clearance.status,
                    "earliest": earliest if earliest and earliest > today else None,
                }
                if clearance
                else None,
                "upcoming": False,
                "this_week": None,
                "weeks": [],
                "exercises": [],
                "follow_ups_due": [],
            }
            return Response(out.WeekPlanOut(body).data)
        if plan.status == PlanStatus.ACTIVE:
            plan_close_weeks_shown(plan, today=today)
        board = selectors.dashboard(plan, today=today)
        week = board.this_week
        this_week = None
        if week is not None:
            # The week's numbers, its explanation and what /me/ works out around them.
            this_week = {
                **asdict(week),
                "patient_explanation_named": week.patient_explanation_named,
                "first_day": board.week_first_day,
                "last_day": board.week_last_day,
                "sessions_left": board.sessions_left,
                "sessions_needed": week.sessions_needed,
                "done_at_minutes": week.done_at_minutes,
            }
        body = {
            "today": today,
            "plan": plan,
            "clearance": None,
            "upcoming": board.upcoming,
            "this_week": this_week,
            "weeks": board.weeks,
            "exercises": board.exercises,
            "follow_ups_due": [log.pk for log in board.pain.follow_ups],
        }
        return Response(out.WeekPlanOut(body).data)


# --- the programme ------------------------------------------------------------------------------


class ProgrammeView(PatientView):
    @extend_schema(
        tags=[TAG],
        summary="The home programme",
        description="What /me/programme/ shows: each exercise with its dose and pictures. "
        "Audited as a view of the programme.",
        responses={200: out.ProgrammeOut, **REFUSALS},
    )
    def get(self, request):
        plan = selectors.own_open_plan(request.user)
        patient = plan.patient if plan else own_patient_profile(request.user)
        programme = programme_for(
            patient, today=patient_today(patient), plan=plan, find_plan=plan is not None
        )
        audit("programme_view", request=request, obj=patient, patient=patient, format="api")
        lines = [
            {
                "exercise": line.exercise,
                "sets": line.sets,
                "reps": line.reps,
                "hold_seconds": line.hold_seconds,
                "times_per_day": line.times_per_day,
                "dose": line.dose,
                "note": line.note,
                "images": [
                    {
                        "url": reverse("exercise_image", args=[image.pk, "full"]),
                        "thumbnail_url": reverse("exercise_image", args=[image.pk, "thumb"]),
                        "alt_text": image.alt_text,
                    }
                    for image in line.images
                ],
            }
            for line in programme.lines
        ]
        body = {
            "today": programme.today,
            "has_plan": programme.plan is not None,
            "paused": programme.paused,
            "tailored": programme.tailored,
            "precautions": programme.precautions,
            "lines": lines,
        }
        return Response(out.ProgrammeOut(body).data)


# --- sessions -----------------------------------------------------------------------------------

SessionErrors = errors_serializer("SessionLogErrors", bodies.SESSION_FIELDS)
# The web route's limit (plans/urls_patient.py): 30 logs per patient per 10 minutes.
SESSION_LIMIT = {"scope": "session_log", "limit": 30, "window": 10 * 60}


class SessionsView(PatientView):
    @extend_schema(
        tags=[TAG],
        summary="History",
        description="The patient's weeks with their sessions, newest first, 12 weeks a page.",
        parameters=[OpenApiParameter("page", int, description="1 for the newest weeks.")],
        responses={200: out.HistoryOut, **REFUSALS},
    )
    def get(self, request):
        patient = own_patient_profile(request.user)
        page, weeks = history_page(patient, request.query_params.get("page"))
        body = {
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "next": page.next_page_number() if page.has_next() else None,
            "previous": page.previous_page_number() if page.has_previous() else None,
            "weeks": weeks,
        }
        return Response(out.HistoryOut(body).data)

    @extend_schema(
        tags=[TAG],
        summary="Log a session",
        description="The log form of /me/sessions/new/, as JSON: the same checks and messages, "
        "the same service. A warning sign pauses the plan and alerts the clinic. Sending the "
        "same submission_token again answers the first session (200) and stores nothing.",
        request=bodies.SessionLogIn,
        responses={
            201: out.SessionLoggedOut,
            200: out.SessionLoggedOut,
            400: OpenApiResponse(SessionErrors, description="What is wrong, beside each field."),
            409: OpenApiResponse(
                SessionErrors, description="No running plan to log against (nothing stored)."
            ),
            429: DetailSerializer,
            **REFUSALS,
        },
    )
    def post(self, request):
        if limited := rate_limited(request, **SESSION_LIMIT):
            return limited
        posted = form_data(request.data)
        if posted is None:
            return not_an_object()
        plan = selectors.own_open_plan(request.user)
        if plan is None:
            own_patient_profile(request.user)  # 404 for an account without a patient record
            return Response(
                {NON_FIELD: [_("There is no plan to log a session against yet.")]},
                status=status.HTTP_409_CONFLICT,
            )
        patient = plan.patient
        today = patient_today(patient)
        # As the web view: sent to the service whatever the plan's state, so resending a
        # warning sign that paused the plan answers the first submission.
        form = SessionLogForm(posted, plan=plan, today=today)
        if form.is_valid():
            data = form.cleaned_data
            try:
                logged = session_log_create(
                    user=request.user,
                    day=data["date"],
                    submission_token=data["submission_token"],
                    exercises_done=data.get("exercises_done", []),
                    **form.answers(),
                )
            except DomainError as error:
                refuse(form, error, form.service_field(error.field))
            else:
                log = logged.log
                body = {
                    "session": log,
                    "created": logged.created,
                    "alert": logged.alert if logged.created else getattr(log, "alert", None),
                    "plan_status": log.plan.status,
                }
                return Response(
                    out.SessionLoggedOut(body).data,
                    status=status.HTTP_201_CREATED if logged.created else status.HTTP_200_OK,
                )
        unavailable = plan.status != PlanStatus.ACTIVE or plan.start_date > today
        return Response(
            form_errors(form),
            status=status.HTTP_409_CONFLICT if unavailable else status.HTTP_400_BAD_REQUEST,
        )


# --- symptoms -----------------------------------------------------------------------------------

SymptomErrors = errors_serializer("SymptomReportErrors", bodies.SYMPTOM_FIELDS)
SYMPTOM_LIMIT = {"scope": "symptom_report", "limit": 30, "window": 10 * 60}


class SymptomsView(PatientView):
    @extend_schema(
        tags=[TAG],
        summary="Report symptoms",
        description="Warning signs or pain now, without a session, in any plan state (the form "
        "of /me/symptoms/new/). A warning sign alerts the clinic at once.",
        request=bodies.SymptomReportIn,
        responses={
            201: out.SymptomReportedOut,
            400: OpenApiResponse(SymptomErrors, description="What is wrong, beside each field."),
            429: DetailSerializer,
            **REFUSALS,
        },
    )
    def post(self, request):
        if limited := rate_limited(request, **SYMPTOM_LIMIT):
            return limited
        posted = form_data(request.data)
        if posted is None:
            return not_an_object()
        patient = own_patient_profile(request.user)
        form = SymptomReportForm(posted)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report, alert = symptom_report_create(
                    patient=patient,
                    red_flags=data["red_flags"],
                    pain_now=data["pain_now"],
                    submission_token=data["submission_token"],
                )
            except DomainError as error:
                refuse(form, error, form.service_field(error.field))
            else:
                body = {"report": report, "alert": alert or getattr(report, "alert", None)}
                return Response(out.SymptomReportedOut(body).data, status=status.HTTP_201_CREATED)
        return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)


# --- settings -----------------------------------------------------------------------------------

SettingsErrors = errors_serializer("ReminderSettingsErrors", bodies.SETTINGS_FIELDS)


def _settings(patient) -> dict:
    return {
        "reminders_enabled": patient.reminders_enabled,
        "weekday": patient.reminder_weekday,
        "hour": patient.reminder_hour,
        "timezone": patient.timezone,
    }


class SettingsView(PatientView):
    @extend_schema(
        tags=[TAG],
        summary="Reminder settings",
        responses={200: out.ReminderSettingsOut, **REFUSALS},
    )
    def get(self, request):
        return Response(out.ReminderSettingsOut(_settings(own_patient_profile(request.user))).data)

    @extend_schema(
        tags=[TAG],
        summary="Change reminder settings",
        description="The form of /me/settings/: every field, checked as the page checks them.",
        request=bodies.ReminderSettingsIn,
        responses={
            200: out.ReminderSettingsOut,
            400: OpenApiResponse(SettingsErrors, description="What is wrong, beside each field."),
            **REFUSALS,
        },
    )
    def put(self, request):
        posted = form_data(request.data)
        if posted is None:
            return not_an_object()
        patient = own_patient_profile(request.user)
        form = ReminderSettingsForm(posted, initial=_settings(patient))
        if form.is_valid():
            data = form.cleaned_data
            try:
                patient_update_reminders(
                    patient=patient,
                    weekday=data["weekday"],
                    hour=data["hour"],
                    timezone_name=data["timezone"],
                    enabled=data["reminders_enabled"],
                )
            except DomainError as error:
                refuse(form, error, error.field)
            else:
                return Response(out.ReminderSettingsOut(_settings(patient)).data)
        return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
