"""Pages reached from an e-mail link without signing in (/reminders/...).

The signed token in the URL is the whole authority: it names one patient and can do one thing,
turn their reminders off.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from plans import reminders
from recovery.models import PatientProfile


@csrf_exempt  # see the docstring: the signed URL is the defence, and RFC 8058 posts without one
@never_cache
@require_http_methods(["GET", "POST"])
def reminders_stop(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation and changes nothing: mail scanners fetch links in e-mails. POST
    turns reminders off, from the confirm button or from a mail app's RFC 8058 one-click
    unsubscribe (`List-Unsubscribe=One-Click` posted to this URL, without cookies or a CSRF token).

    CSRF protection is off for this view only: a cross-site request cannot forge the signed token
    without reading the patient's mail, and the only thing it can do is what the link offers.
    """
    patient_id = reminders.opt_out_patient_id(token)
    if patient_id is None:
        raise Http404(_("Unknown link."))
    # The page answers the e-mail in the e-mail's language (the patient's), whatever the browser.
    language = (
        PatientProfile.objects.filter(pk=patient_id)
        .values_list("user__language", flat=True)
        .first()
    )
    if language is None:
        raise Http404(_("Unknown link."))
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        try:
            reminders.reminders_opt_out(
                patient_id=patient_id, via="one_click" if one_click else "email_link"
            )
        except PatientProfile.DoesNotExist:
            raise Http404(_("Unknown link.")) from None
        template = "plans/reminders_opted_out.html"
    else:
        template = "plans/reminders_opt_out_confirm.html"
    with translation.override(language):
        response = render(request, template)
    response["X-Robots-Tag"] = "noindex"
    return response
