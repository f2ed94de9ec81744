"""Hostile encodings and bytes on every URL: a 400 page, never a 500 (issue 16, finding 10).

An outside probe found any urlencoded POST declared `charset=latin-1` or `utf-16` answered 500
on the sign-in and reset pages, and a NUL byte in an admin list filter did the same. The first
test sends each hostile shape to every routed URL as a visitor, a patient, a clinician and a
superuser and expects the 400 page; the second lets Hypothesis build bodies, content types and
query strings for random URLs and personas and expects anything but a 500, with nothing stored
(every example is rolled back, and the request must not have written outside it either).

The URL list, the personas' sessions and the rows the URLs name come from the access matrix.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from plans.models import Alert, SessionLog, SymptomReport
from recovery.models import AuditEvent, OutboxEmail, PatientProfile, User
from tests.support import kwargs_for, routes, url_for

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "ana", "dr_cho", "root")
FORM = "application/x-www-form-urlencoded"
BOUNDARY = "----stepwise-fuzz"

# (name, method, query string, content type, body): each one is refused on every URL.
HOSTILE = [
    ("NUL in the query string", "GET", "q=%00", None, b""),
    ("NUL in an admin-style filter", "GET", "name__exact=a%00b", None, b""),
    ("not UTF-8 in the query string", "GET", "q=%ff%fe", None, b""),
    ("latin-1 form", "POST", "", f"{FORM}; charset=latin-1", b"username=Jos%E9&password=x"),
    ("UTF-16 form", "POST", "", f"{FORM}; charset=utf-16", "username=ana".encode("utf-16")),
    ("unknown charset", "POST", "", f"{FORM}; charset=x-no-such-charset", b"username=ana"),
    ("not UTF-8 in a form field", "POST", "", FORM, b"username=%c3%28&password=x"),
    ("multipart with a bad boundary", "POST", "", "multipart/form-data; boundary=\u00e9", b"x"),
    ("multipart without a boundary", "POST", "", "multipart/form-data", b"username=ana"),
]


# Left to the forms, whose fields refuse a NUL beside the field: never a 500.
NUL_IN_FORMS = [
    ("NUL in a form field", "POST", "", FORM, b"username=ana%00&password=x"),
    ("raw NUL in a form body", "POST", "", FORM, b"username=ana\x00&password=x"),
    (
        "NUL in a multipart field",
        "POST",
        "",
        f"multipart/form-data; boundary={BOUNDARY}",
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="username"\r\n\r\n'
            f"ana\x00\r\n--{BOUNDARY}--\r\n"
        ).encode(),
    ),
]


def client_as(persona: str, world, *, csrf: bool = True) -> Client:
    """A client with `persona`'s session; CSRF checked as in production (the probe's 500s came
    from the CSRF check reading the body), or not, to let a POST reach the view."""
    client = Client(enforce_csrf_checks=csrf, raise_request_exception=False)
    client.cookies = SimpleCookie()
    if persona in world.cookies:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.cookies[persona]
    return client


def send(client: Client, method: str, url: str, query: str, content_type, body: bytes):
    extra = {"QUERY_STRING": query} if query else {}
    if method == "GET":
        return client.generic("GET", url, **extra)
    return client.generic("POST", url, body, content_type=content_type or "", **extra)


def urls(world) -> list[str]:
    return sorted({url_for(route, kwargs_for(route, world)) for route in routes().values()})


def stored() -> dict[str, int]:
    """What a request could have written, counted."""
    models = (User, PatientProfile, SessionLog, SymptomReport, Alert, OutboxEmail, AuditEvent)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_answers_hostile_bytes_with_the_400_page(persona, world):
    client = client_as(persona, world)
    reach = client_as(persona, world, csrf=False)
    before = stored()
    wrong = []
    for url in urls(world):
        for name, method, query, content_type, body in HOSTILE:
            response = send(client, method, url, query, content_type, body)
            if response.status_code != 400 or b"could not understand" not in response.content:
                wrong.append(f"{method} {url} ({name}) as {persona}: {response.status_code}")
        for name, method, query, content_type, body in NUL_IN_FORMS:
            with transaction.atomic():  # without CSRF the POST reaches the view: roll it back
                response = send(reach, method, url, query, content_type, body)
                transaction.set_rollback(True)
            if response.status_code >= 500:
                wrong.append(f"{method} {url} ({name}) as {persona}: {response.status_code}")
    assert not wrong, f"{len(wrong)} hostile requests answered wrongly:\n" + "\n".join(wrong)
    assert stored() == before


def test_a_utf8_form_with_accents_still_signs_in(world):
    """The refusal is for what no browser on this site sends, not for accented text."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/accounts/login/")  # the CSRF cookie
    response = client.generic(
        "POST",
        "/accounts/login/",
        b"username=Jos%C3%A9&password=wrong",
        content_type=f"{FORM}; charset=UTF-8",
        HTTP_X_CSRFTOKEN=client.cookies[settings.CSRF_COOKIE_NAME].value,
    )
    assert response.status_code == 200 and b"could not understand" not in response.content


CONTENT_TYPES = st.sampled_from(
    [
        FORM,
        f"{FORM}; charset=utf-8",
        f"{FORM}; charset=latin-1",
        f"{FORM}; charset=utf-16",
        f"{FORM}; charset=",
        f"{FORM}; charset=\x7f",
        f"multipart/form-data; boundary={BOUNDARY}",
        "multipart/form-data; boundary=",
        "application/json",
        "text/plain; charset=utf-32",
        "",
    ]
)
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["\x00", "a\x00b", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"), "é", "%"]
)
FIELDS = st.sampled_from(
    ["username", "password", "email", "date", "minutes", "pain", "q", "name__exact", "o"]
)
FORM_BODY = st.dictionaries(FIELDS, TEXT, max_size=4).map(
    lambda fields: "&".join(f"{key}={value}" for key, value in fields.items()).encode(
        "utf-8", "surrogatepass"
    )
)
MULTIPART_BODY = st.lists(st.tuples(FIELDS, TEXT), max_size=3).map(
    lambda parts: "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, value in parts
    ).encode("utf-8", "surrogatepass")
) | st.just(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end'.encode())
BODY = FORM_BODY | MULTIPART_BODY | st.binary(max_size=200)
QUERY = st.sampled_from(["", "q=%00", "q=%ff", "o=1", "p=-1", "q=%C3%A9", "all=&q=%"]) | TEXT.map(
    lambda text: "q=" + text.encode("utf-8", "surrogatepass").decode("latin-1")
)


@hypothesis_settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_generated_request_to_any_url_answers_500(world, data):
    url = data.draw(st.sampled_from(urls(world)), label="url")
    persona = data.draw(st.sampled_from(PERSONAS), label="persona")
    method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
    query = data.draw(QUERY, label="query")
    content_type = data.draw(CONTENT_TYPES, label="content type")
    body = data.draw(BODY, label="body")
    client = client_as(persona, world, csrf=data.draw(st.booleans(), label="CSRF checked"))
    with transaction.atomic():
        response = send(client, method, url, query, content_type, body)
        transaction.set_rollback(True)
    assert response.status_code < 500, (method, url, persona, query, content_type, body)
