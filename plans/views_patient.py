"""Patient pages (/me/...). Each view: own data only, bind the form, call a service, redirect."""

from django.http import Http404

from recovery.access import patient_required


@patient_required
def dashboard(request):
    raise Http404


@patient_required
def history(request):
    raise Http404


@patient_required
def session_new(request):
    raise Http404


@patient_required
def session_saved(request, log_id):
    raise Http404


@patient_required
def reminder_settings(request):
    raise Http404
