"""What several test modules share (no test module imports another): real moving parts (an
SMTP sink on 127.0.0.1, a mail server that hangs up, a Celery worker process, a redis-server of a
test's own), signing in, reading pages, the exercise library's CSV round trip, Hypothesis'
settings, reminders' clock, the access matrix's world, one of each clinical record, and one
patient's path through a warning sign and a resume.

Plain functions only: the fixtures built from them are in tests/conftest.py."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from smtplib import SMTPServerDisconnected

import hypothesis
import pytest
import redis
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from api.models import DeviceToken
from api.tokens import device_token_create
from outcomes import services as outcome_services
from outcomes.models import Instrument, Item, Questionnaire, ScheduledInstrument
from plans import reminders
from plans import services as plan_services
from plans.models import (
    Alert,
    Exercise,
    ExerciseImage,
    Plan,
    PlanStatus,
    PlanWeek,
    Reminder,
    ReminderStatus,
    SessionLog,
    SymptomReport,
)
from recovery.audit import audit
from recovery.models import (
    Category,
    Clearance,
    ClearanceEvent,
    ClinicianProfile,
    PatientProfile,
    Treatment,
    TreatmentType,
    User,
)
from tests.conftest import MODEL_BACKEND, PASSWORD, approve, make_patient, unavailable

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPSink:
    """aiosmtpd on a free local port that keeps every message it accepts. `reply` is its answer
    to DATA ("250 OK", or "451 4.3.0 Try again later"); `delay` holds each accepted reply back (a
    slow server); `refuse` names recipients it answers 550 to."""

    def __init__(self, *, reply: str = "250 OK", delay: float = 0.0, refuse=()):
        from aiosmtpd.controller import Controller

        self.reply = reply
        self.delay = delay
        self.messages: list[Message] = []
        self.refused = 0
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address in refuse:
                    return "550 5.1.1 No such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                if not sink.reply.startswith("250"):
                    with sink._lock:
                        sink.refused += 1
                    return sink.reply
                with sink._lock:
                    # Kept before the reply: a client that dies now has been "accepted" here.
                    sink.messages.append(
                        message_from_bytes(envelope.content, policy=policy.default)
                    )
                if sink.delay:
                    await asyncio.sleep(sink.delay)
                return sink.reply

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SMTPSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def recipients(self) -> list[str]:
        with self._lock:
            return [str(m["To"]) for m in self.messages]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self._lock:
            return list(self.messages)


def redis_database_for_this_process(database: int) -> int:
    """A Redis database a test chose (a broker's, say), moved down by four for each parallel
    test process after the first (pytest-xdist's gw1, gw2), so two processes never share one:
    the cache takes the databases just above REDIS_URL's, these the ones below 16."""
    return database - 4 * settings.TEST_PROCESS


def database_url_for_worker() -> str:
    """The URL of the database this test runs on (the test database), for a child process."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def worker_env(*, broker_url: str, smtp_port: int | None = None, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "CELERY_", "EMAIL_", "REDIS_", "PYTEST"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="stepwise.settings",
        DATABASE_URL=database_url_for_worker(),
        CELERY_BROKER_URL=broker_url,
        TESTING="true",
        CONN_MAX_AGE="0",
    )
    if smtp_port is not None:
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port), EMAIL_USE_TLS="false")
    env.update(extra)
    return env


@contextmanager
def celery_worker(
    env: dict[str, str],
    *,
    queue: str | None = None,
    concurrency: int = 1,
    app: str = "stepwise",
    stop_seconds: float = 20,
):
    """Run `celery -A <app> worker` as a real child process; stop it (warm) on exit.

    Yields (process, queue, lines): `lines` fills with the worker's output as it runs. The
    benchmark of reminders (benchmarks/reminders.py) starts its worker here too.
    """
    queue = queue or f"test-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", app, "worker", "--loglevel", "INFO"),
            *("--pool", "prefork", "--concurrency", str(concurrency)),
            *("--queues", queue, "--hostname", f"{queue}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            if " ready." in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("Celery worker did not start:\n" + "".join(lines[-40:]))
        yield process, queue, lines
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(stop_seconds)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        reader.join(5)


def clinical_snapshot() -> dict:
    """Everything a clinical service could write, to prove a refusal wrote nothing."""
    from plans.models import Alert, Plan, PlanWeek, SessionLog
    from recovery.models import AuditEvent, Clearance, ClearanceEvent

    return {
        "clearances": sorted(
            Clearance.objects.values_list(
                "pk", "status", "decided_by", "decided_at", "start_minutes", "start_date"
            )
        ),
        "plans": sorted(
            Plan.objects.values_list(
                "pk",
                "status",
                "pause_reason",
                "stage",
                "allowed_activities",
                "start_minutes",
                "min_increment",
                "max_increment",
                "target_minutes",
                "sessions_per_week",
            )
        ),
        "weeks": sorted(PlanWeek.objects.values_list("plan", "week", "minutes", "decision")),
        "logs": SessionLog.objects.count(),
        "alerts": sorted(Alert.objects.values_list("pk", "acknowledged_at")),
        "events": ClearanceEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def refused(call, message: str, field: str | None = None):
    """`call()` raises one DomainError with `message` (beside `field`) and writes nothing."""

    from recovery.errors import DomainError

    before = clinical_snapshot()
    with pytest.raises(DomainError) as info:
        call()
    assert message in info.value.message
    assert info.value.field == field
    assert clinical_snapshot() == before
    return info.value


@dataclass
class PrivateRedis:
    process: subprocess.Popen
    url: str

    @contextmanager
    def hung(self):
        """The server stopped (SIGSTOP): it accepts connections and never answers."""
        os.kill(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.process.pid, signal.SIGCONT)


@contextmanager
def private_redis_server():
    """A redis-server of the caller's own on a free port (the `private_redis` fixture)."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url, socket_timeout=0.5).ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the private redis-server did not start") from None
                time.sleep(0.05)
        yield PrivateRedis(process, url)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


class FailingBackend(BaseEmailBackend):
    """A mail server that hangs up on every message."""

    def send_messages(self, email_messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


FAILING_BACKEND = "tests.support.FailingBackend"


def reset_broker_connections() -> None:
    """Drop pooled broker connections (Celery's and kombu's) so the next send uses the current
    broker_url."""
    from kombu import pools

    from stepwise.celery import app

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@contextmanager
def celery_publishing_to(url: str, *, queue: str | None = None):
    """This process's Celery app publishing to `url` on a queue of its own (the suite otherwise
    runs tasks in process); yields the queue's name.

    Afterwards the settings are as they were, not merely equal: a value read through Celery's
    properties and written back (broker_write_url resolves to broker_url) would pin the next
    test's publishes to this broker.
    """
    from stepwise.celery import app

    changes = app.conf.changes
    names = ("broker_url", "task_always_eager", "task_default_queue")
    saved = {name: changes[name] for name in names if name in changes}
    queue = queue or f"test-{uuid.uuid4().hex[:8]}"
    reset_broker_connections()
    app.conf.update(broker_url=url, task_always_eager=False, task_default_queue=queue)
    try:
        yield queue
    finally:
        reset_broker_connections()
        for name in names:
            changes.pop(name, None)
        changes.update(saved)


# --- shared by several test modules -------------------------------------------------------------

# Hypothesis for the forms' fuzzing (test_fuzz_forms, test_date_ranges): the same examples on
# every run.
FUZZ = hypothesis.settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.too_slow,
    ],
    derandomize=True,
)


def iso(day: date) -> str:
    return day.isoformat()


LOGIN_PAGE = "/accounts/login/"
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def patients_today() -> date:
    """Today on the clock of the patients `make_patient` enrols (America/New_York), which the
    services use: between midnight UTC and midnight in New York it is not `date.today()` on a UTC
    machine."""
    return timezone.now().astimezone(NEW_YORK).date()


# --- from test_admin.py ---
IMPORT = "/admin/plans/exercise/import/"


PROCESS_IMPORT = "/admin/plans/exercise/process_import/"


def exercise(name: str = "Pelvic tilt", *, stage: int = 1, **extra) -> Exercise:
    fields = {"category": "core", "instructions": "Lie on your back and tilt gently."}
    fields.update(extra)
    return Exercise.objects.create(name=name, stage=stage, **fields)


def csv_upload(rows: list[list[str]], name: str = "library.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["name", "category", "stage", "active", "instructions", "cautions", "contraindicated_for"]
    )
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(), content_type="text/csv")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def sign_in_to_admin(client, user):
    """Password and second factor done: what /accounts/login/ + /accounts/two-factor/ leave."""
    client.force_login(user, backend=MODEL_BACKEND)
    device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def dry_run(client, upload):
    return client.post(IMPORT, {"import_file": upload, "format": "0", "resource": "0"})


def confirm(client, response):
    form = response.context["confirm_form"]
    return client.post(PROCESS_IMPORT, {**form.initial, "confirm": "Confirm import"}, follow=True)


# --- from test_views_patient.py ---
def url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs or None)


def signed_in(
    patient_or_user, *, verified: bool = False, raise_request_exception: bool = True
) -> Client:
    """A browser signed in as the user (or the patient's user). `verified`: a second factor
    proved, as staff need for the admin; `raise_request_exception=False`: a 500 is answered
    as a page, as a real server would."""
    user = getattr(patient_or_user, "user", patient_or_user)
    client = Client(raise_request_exception=raise_request_exception)
    if verified:
        return sign_in_to_admin(client, user)
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def text(page) -> str:
    """A response's (or an HTML string's) visible words, whitespace collapsed, for reading
    assertions like a person."""
    body = page if isinstance(page, str) else page.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", body).replace("&#x27;", "'").replace("&amp;", "&")


def log_form(plan: Plan, today: date, **overrides) -> dict:
    """A valid log: pain before and after, how long it lasted, and the warning-sign list
    answered ("None of these" unless a sign is ticked). `None` leaves a field out."""
    data = {
        "date": today.isoformat(),
        "activity": "walking",
        "minutes": "20",
        "pain_before": "1",
        "pain": "1",
        "pain_duration": "within_2h",
        "exertion": "11",
        "notes": "",
        "submission_token": str(uuid.uuid4()),
    }
    if not {"red_flags_same_day", "red_flags_emergency"} & set(overrides):
        data["no_red_flags"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def add_exercises(plan_treatment: str = "Epidural steroid injection") -> dict[str, Exercise]:
    """A small library: what Ana (stage 2, injection) should and should not see."""
    made = {
        "tilt": Exercise.objects.create(
            name="Pelvic tilt",
            category="core",
            stage=1,
            instructions="Lie on your back and gently flatten your lower back.",
            cautions="Stop if it causes sharp pain.",
        ),
        "hamstring": Exercise.objects.create(
            name="Hamstring stretch",
            category="flexibility",
            stage=1,
            instructions="Hold a gentle stretch for 30 seconds; never bounce.",
        ),
        "bird_dog": Exercise.objects.create(
            name="Bird dog", category="core", stage=2, instructions="On hands and knees..."
        ),
        "plank": Exercise.objects.create(
            name="Full plank", category="core", stage=3, instructions="Hold a plank."
        ),
        "old": Exercise.objects.create(
            name="Retired crunch", category="core", stage=1, instructions="x", active=False
        ),
        "treadmill": Exercise.objects.create(
            name="Treadmill walk", category="cardio", stage=1, instructions="Walk."
        ),
        "twist": Exercise.objects.create(
            name="Seated twist", category="flexibility", stage=1, instructions="Twist gently."
        ),
    }
    made["twist"].contraindicated_for.add(TreatmentType.objects.get(name=plan_treatment))
    return made


# --- from test_reminders.py ---
START = date(2026, 11, 30)  # a Monday


def at(day: date, hour: int, minute: int = 0, tz: zoneinfo.ZoneInfo = NEW_YORK) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def enrol(
    username: str,
    clinician,
    *,
    first: str | None = None,
    start: date = START,
    tz: str = "America/New_York",
    weekday: int = 0,
    hour: int = 9,
    treatment: str = "Epidural steroid injection",
) -> Plan:
    """A patient with an approved plan starting on `start` and a reminder choice."""
    patient = make_patient(
        username,
        first or username.title(),
        clinician,
        treatment=treatment,
        procedure_date=date.today() - timedelta(days=40),
        timezone_name=tz,
    )
    PatientProfile.objects.filter(pk=patient.pk).update(
        reminder_weekday=weekday, reminder_hour=hour, timezone=tz
    )
    return approve(patient, start=start, today=start)


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


# --- from test_auth.py ---
def sign_in(client: Client, username: str, password: str = PASSWORD, ip: str = "127.0.0.1"):
    return client.post(LOGIN_PAGE, {"username": username, "password": password}, REMOTE_ADDR=ip)


# --- from test_access_matrix.py ---
def routes() -> dict[str, Route]:
    """Every pattern the project routes, walked recursively. A name routed twice (Django's auth
    URLs repeat login and password_reset under the same path) is kept once: the first wins."""
    found: dict[str, Route] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern, route, inner)
                continue
            assert isinstance(pattern, URLPattern)
            key = route
            if pattern.name:
                key = f"{namespace}:{pattern.name}" if namespace else pattern.name
            params = tuple(pattern.pattern.regex.groupindex)
            found.setdefault(key, Route(key, route, params, named=bool(pattern.name)))

    walk(get_resolver(), "", None)
    return found


def kwargs_for(route: Route, world: World) -> dict[str, object]:
    values: dict[str, object] = {
        "patient_id": world.ana.pk,
        "log_id": world.log.pk,
        "report_id": world.report.pk,
        "questionnaire_id": world.questionnaire.pk,
        "alert_id": world.alert.pk,
        "token": reminders.opt_out_token(world.ana.pk),
        "pk": world.device.pk,  # the TOTP device pages
        "id": world.ana.user.pk,  # a user's password page
        "content_type_id": ContentType.objects.get_for_model(User).pk,
        "app_label": "recovery",
        "url": "no-such-page/",
        "token_id": world.device_token.pk if world.device_token else 0,
    }
    if route.key == "exercise_image":
        values |= {"pk": world.image.pk, "size": "full"}
    if route.key == "password_reset_confirm":
        values |= world.reset
    if route.key == f"{ADMIN}:view_on_site":
        values["object_id"] = world.ana.user.pk
    elif "object_id" in route.params:
        model = re.match(r"admin/(\w+)/(\w+)/", route.route)
        values["object_id"] = world.admin_rows[f"{model[1]}.{model[2]}"]
    return {name: values[name] for name in route.params}


def url_for(route: Route, kwargs: dict[str, object]) -> str:
    if route.key == "admin/(?P<url>.*)$":
        return f"/admin/{kwargs['url']}"
    if route.named:
        url = reverse(route.key, kwargs=kwargs)
    else:  # an unnamed pattern: fill in its converters
        url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m[1]]), route.route)
    if route.key == f"{ADMIN}:autocomplete":
        url += "?app_label=recovery&model_name=clinicianprofile&field_name=user&term=a"
    return url


# --- from test_query_budgets.py ---

# /me/ drawn with any history and in any state (its budget beside the triage's and the patient
# record's, which plans/ declares, in tests/test_query_budgets.py's table).
DASHBOARD_QUERY_BUDGET = 10


def with_history(patient: PatientProfile, *, weeks: int) -> Plan:
    """An approved plan `weeks` closed weeks old (plus two days), three sessions in every week,
    its weeks closed by the service that closes them. Each session is the week's prescription
    (15, 25, 35, then the 45-minute target) with comfortable pain, so the plan progresses by the
    larger step, then maintains: no week is overdone, reduced or held."""
    today = plan_services.patient_today(patient)
    start = today - timedelta(days=7 * weeks + 2)
    plan = approve(patient, start=start, sessions_per_week=3, target=45)
    SessionLog.objects.bulk_create(
        SessionLog(
            plan=plan,
            date=start + timedelta(days=7 * (week - 1) + day),
            week=week,
            activity="walking",
            minutes=min(45, 15 + 10 * (week - 1)),
            pain_before=1 + (week + day) % 3,
            pain=1 + (week + day) % 3,
            submission_token=uuid.uuid4(),
        )
        for week in range(1, weeks + 1)
        for day in (0, 2, 4)
    )
    plan_services.plan_close_weeks(plan=plan, today=today)
    assert PlanWeek.objects.filter(plan=plan).count() == weeks + 1
    return plan


# --- generated pictures (test_exercise_pictures, the access matrix's world) ---


def picture_bytes(fmt: str = "PNG", size=(640, 480), *, mode: str = "RGB", **save) -> bytes:
    """A picture made here and now (no binary fixture is committed): a gradient, so it has
    detail to encode."""
    from PIL import Image

    image = Image.new(mode, size)
    if mode in ("RGB", "RGBA"):
        image.putdata(
            [
                ((x * 7) % 256, (y * 5) % 256, 128, *((200,) if mode == "RGBA" else ()))
                for y in range(size[1])
                for x in range(size[0])
            ]
        )
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def picture_upload(fmt: str = "PNG", name: str | None = None, **kwargs) -> SimpleUploadedFile:
    data = picture_bytes(fmt, **kwargs)
    extension = {"JPEG": "jpg"}.get(fmt, fmt.lower())
    return SimpleUploadedFile(name or f"picture.{extension}", data, content_type="image/png")


# --- the access matrix's world (test_access_matrix, test_hostile_input) ---
ADMIN = admin.site.name


@dataclass(frozen=True)
class Route:
    key: str  # namespace:name, or the full pattern for an unnamed one
    route: str  # the full pattern, e.g. "me/sessions/<int:log_id>/saved/"
    params: tuple[str, ...]
    named: bool


@dataclass
class World:
    ana: PatientProfile
    ben: PatientProfile
    users: dict[str, User]
    log: SessionLog
    alert: Alert
    report: SymptomReport
    admin_rows: dict[str, int]
    device: TOTPDevice
    cookies: dict[str, str] = field(default_factory=dict)  # persona → session key
    reset: dict[str, str] = field(default_factory=dict)
    questionnaire: Questionnaire | None = None  # Ana's baseline pain questionnaire, due
    image: ExerciseImage | None = None  # a picture of a stage-2 exercise: Ana's, not Ben's
    device_token: DeviceToken | None = None  # Ana's phone's API token


def _session_key(user: User, *, verified: bool) -> str:
    return signed_in(user, verified=verified).cookies[settings.SESSION_COOKIE_NAME].value


def build_world(ana_plan, ben_plan, dr_cho, dr_dev, dee, root) -> World:
    """The `world` fixture: each persona's session, and a row of every kind for each URL."""
    ana, ben = ana_plan.patient, ben_plan.patient
    today = plan_services.patient_today(ana)
    logged = plan_services.session_log_create(
        patient=ana,
        day=today - timedelta(days=3),
        activity="walking",
        minutes=15,
        pain_before=1,
        pain=2,
        pain_duration="not_settled",  # asked again: the follow-up URL has something to answer
        notes="Felt fine afterwards.",
    )
    answered = plan_services.session_log_create(
        patient=ana,
        day=today - timedelta(days=2),
        activity="walking",
        minutes=15,
        pain_before=1,
        pain=3,
        pain_duration="not_settled",
    )
    follow_up = plan_services.session_pain_follow_up(
        patient=ana, log_id=answered.log.pk, settled="within_2h"
    ).follow_up
    report, _ = plan_services.symptom_report_create(patient=ana, pain_now=3)
    # A red flag: the plan pauses and an alert waits for Dr Cho.
    flagged = plan_services.session_log_create(
        patient=ana,
        day=today - timedelta(days=1),
        activity="walking",
        minutes=10,
        pain=4,
        red_flags=["numbness"],
    )
    plan_services.session_log_create(
        patient=ben,
        day=plan_services.patient_today(ben) - timedelta(days=1),
        activity="walking",
        minutes=10,
        pain=1,
    )
    users = {"ana": ana.user, "ben": ben.user, "dr_cho": dr_cho, "dr_dev": dr_dev}
    users |= {"dee": dee, "root": root}
    cookies = {
        name: _session_key(user, verified=name in {"dee", "root"}) for name, user in users.items()
    }
    device = TOTPDevice.objects.get(user=root)

    # A picture of a stage-2 exercise: Ana's plan is at stage 2, Ben's at stage 1.
    pictured = Exercise.objects.create(
        name="Bird dog", category="core", stage=2, instructions="Reach out slowly."
    )
    image = plan_services.exercise_image_add(
        actor=dee,
        exercise=pictured,
        upload=picture_upload("PNG"),
        alt_text="On hands and knees, one arm and the opposite leg reach out.",
        position=1,
    )
    exercise = Exercise.objects.create(  # stage 4: no plan has reached it, so it can be deleted
        name="Wall sit", category="core", stage=4, instructions="Slide down the wall slowly."
    )
    unused_type = TreatmentType.objects.create(
        name="Matrix test procedure", category=Category.values[0], min_days_to_clearance=7
    )
    ClinicianProfile.objects.create(user=dr_cho, title="Physiotherapist")
    Reminder.objects.create(plan=ana_plan, week=1)
    attempt = AccessAttempt.objects.create(
        username="ana", ip_address="10.0.0.9", failures_since_start=1
    )
    access = AccessLog.objects.create(username="ana", ip_address="10.0.0.9")
    failure = AccessFailureLog.objects.create(
        username="ana", ip_address="10.0.0.9", locked_out=False
    )
    event = audit("matrix_test", outcome="ok")
    admin_rows = {
        "plans.exercise": exercise.pk,
        "recovery.treatmenttype": unused_type.pk,
        "recovery.user": ana.user.pk,
        "recovery.clinicianprofile": ClinicianProfile.objects.get(user=dr_cho).pk,
        "auth.group": Group.objects.create(name="Library editors").pk,
        "otp_totp.totpdevice": device.pk,
        "recovery.patientprofile": ana.pk,
        "recovery.treatment": Treatment.objects.filter(patient=ana).first().pk,
        "recovery.clearance": Clearance.objects.filter(patient=ana).first().pk,
        "plans.plan": ana_plan.pk,
        "plans.planweek": PlanWeek.objects.filter(plan=ana_plan).first().pk,
        "plans.sessionlog": logged.log.pk,
        "plans.alert": flagged.alert.pk,
        "plans.symptomreport": report.pk,
        "plans.painfollowup": follow_up.pk,
        "plans.reminder": Reminder.objects.get(plan=ana_plan).pk,
        "recovery.clearanceevent": ClearanceEvent.objects.filter(clearance__patient=ana).first().pk,
        "recovery.auditevent": event.pk,
        "axes.accessattempt": attempt.pk,
        "axes.accesslog": access.pk,
        "axes.accessfailurelog": failure.pk,
    }
    ana_plan.refresh_from_db()
    assert ana_plan.status == PlanStatus.PAUSED and flagged.alert.acknowledged_at is None
    # After force_login: a sign-in changes last_login, which invalidates older reset tokens.
    ana.user.refresh_from_db()
    reset = {
        "uidb64": urlsafe_base64_encode(force_bytes(ana.user.pk)),
        "token": default_token_generator.make_token(ana.user),
    }
    # Both plans were approved today: their baseline questionnaires are open (Ana's plan is
    # paused, and a paused plan is still her treatment).
    outcome_services.questionnaires_schedule()
    questionnaire = Questionnaire.objects.get(patient=ana, instrument__code="pain")
    # Ben answers his pain question; the clinic has a licensed instrument of its own, scheduled.
    ben_pain = Questionnaire.objects.get(patient=ben, instrument__code="pain")
    answered = outcome_services.questionnaire_answer(
        patient=ben,
        questionnaire_id=ben_pain.pk,
        choices={1: ben_pain.instrument.items.get().options.first().pk},
    )
    licensed = Instrument.objects.create(
        code="matrix", name="Matrix instrument", scoring="sum", direction="higher_worse"
    )
    item = Item.objects.create(instrument=licensed, position=1, text="How is it?")
    scheduled = ScheduledInstrument.objects.create(
        treatment_type=unused_type, instrument=licensed, visit="month_3"
    )
    admin_rows |= {
        "outcomes.instrument": licensed.pk,
        "outcomes.item": item.pk,
        "outcomes.scheduledinstrument": scheduled.pk,
        "outcomes.questionnaire": questionnaire.pk,
        "outcomes.response": answered.pk,
    }
    return World(
        ana,
        ben,
        users,
        logged.log,
        flagged.alert,
        report,
        admin_rows,
        device,
        cookies,
        reset,
        questionnaire,
        image,
        device_token_create(user=ana.user, name="Ana's phone")[0],
    )


# --- one of each clinical record (test_admin, test_admin_privacy) ---


def one_of_each_clinical_record(ana_plan):
    """One of each clinical record: Ana's plan, a session answered the next day, a session with a
    red flag (an alert), a symptom report (a severe-pain alert), a failed and a sent reminder,
    her baseline questionnaires with the pain one answered."""
    unsettled = plan_services.session_log_create(
        patient=ana_plan.patient,
        day=date.today() - timedelta(days=2),
        activity="walking",
        minutes=15,
        pain_before=2,
        pain=5,
        pain_duration="not_settled",
    ).log
    plan_services.session_pain_follow_up(
        patient=ana_plan.patient, log_id=unsettled.pk, settled="later"
    )
    logged = plan_services.session_log_create(
        patient=ana_plan.patient,
        day=date.today() - timedelta(days=1),
        activity="walking",
        minutes=15,
        pain=3,
        red_flags=["fever"],
        notes="Felt <b>hot</b> afterwards",
    )
    plan_services.symptom_report_create(patient=ana_plan.patient, pain_now=9)
    ClinicianProfile.objects.create(user=ana_plan.patient.clinician, title="Physiotherapist")
    Reminder.objects.create(plan=ana_plan, week=1, status=ReminderStatus.FAILED, attempts=5)
    Reminder.objects.create(plan=ana_plan, week=2, status=ReminderStatus.SENT, attempts=1)
    # Ana's baseline questionnaires (open since the approval today), the pain one answered.
    outcome_services.questionnaires_schedule()
    pain = Questionnaire.objects.get(patient=ana_plan.patient, instrument__code="pain")
    outcome_services.questionnaire_answer(
        patient=ana_plan.patient,
        questionnaire_id=pain.pk,
        choices={1: pain.instrument.items.get().options.first().pk},
    )
    return logged


# --- the patient's log form in the browser (tests/e2e) ---
SAVE = "Save this session"


def plan_from(patient: PatientProfile, *, days_ago: int) -> Plan:
    start = plan_services.patient_today(patient) - timedelta(days=days_ago)
    return approve(patient, start=start, today=start)


def log_session(
    page,
    *,
    day: date | None = None,
    minutes: int | None = None,
    pain_before: int | None = 1,
    pain: int | None = 1,
    lasted: str | None = "Gone within 2 hours",
    sharp: bool = False,
    flags: tuple[str, ...] = (),
    none_of_these: bool | None = None,
    notes: str = "",
) -> None:
    """Fill the log form as a patient does. The warning-sign list is answered "None of these"
    unless a sign is given (`none_of_these=False` leaves it unanswered)."""
    page.goto("/me/sessions/new/")
    if day is not None:
        page.get_by_label("Date of the session").fill(day.isoformat())
    page.get_by_label("Walking", exact=True).check()
    if minutes is not None:
        page.get_by_label("How many minutes did you exercise?").fill(str(minutes))
    if pain_before is not None:
        page.get_by_label("Pain before exercise, from 0 to 10").fill(str(pain_before))
    if pain is not None:
        page.get_by_label("Pain after exercise, from 0 to 10").fill(str(pain))
    if lasted is not None:
        page.get_by_label(lasted, exact=True).check()
    if sharp:
        page.get_by_label("The pain was sharp, not just a dull ache or soreness").check()
    for label in flags:
        page.get_by_label(label, exact=True).check()
    if none_of_these or (none_of_these is None and not flags):
        page.get_by_label("None of these", exact=True).check()
    if notes:
        page.get_by_label("Anything else your care team should know? (optional)").fill(notes)
    page.get_by_role("button", name=SAVE).click()


# --- a plan a warning sign stopped and a clinician resumed (issue 17: test_record,
# test_week_explanations, e2e/test_record, e2e/test_clinic_widths) ---
# Built through the services, each session logged on its own day's clock so every week closes as
# it would in real life.

NUMB_NOTE = "Left foot went numb halfway round the park, then it eased after I sat down."

# Sessions of the old plan's first six weeks, as (day in the week, share of the prescription):
# all three done and comfortable in week 1 (+10), one in week 2 (hold), then three done a week.
OLD_WEEKS = {
    1: [(0, 1.0), (2, 1.0), (4, 1.0)],
    2: [(1, 1.0)],
    3: [(0, 1.0), (2, 1.0), (4, 1.0)],
    4: [(0, 1.0), (2, 1.0), (4, 1.0)],
    5: [(0, 1.0), (2, 1.0), (4, 1.0)],
    6: [(0, 1.0), (2, 1.0), (4, 1.0)],
}


def log_on_the_day(plan: Plan, day: date, **fields):
    """A session logged through the service on the evening of `day`, on the patient's clock."""
    fields.setdefault("activity", "walking")
    fields.setdefault("pain_before", 1)
    fields.setdefault("pain", 2)
    fields.setdefault("pain_duration", "within_2h")
    evening = datetime.combine(day, time_of_day(18), tzinfo=plan.patient.tz)
    return plan_services.session_log_create(patient=plan.patient, day=day, now=evening, **fields)


def prescribed(plan: Plan, day: date) -> int:
    plan_services.plan_close_weeks(plan=plan, today=day)
    return PlanWeek.objects.get(plan=plan, week=plan.week_of(day)).minutes


def six_good_weeks(username: str, first: str, clinician: User, today: date) -> Plan:
    """A plan started six weeks ago today (so today begins its week 7), weeks 1–6 logged."""
    patient = make_patient(
        username,
        first,
        clinician,
        treatment="Epidural steroid injection",
        procedure_date=today - timedelta(days=70),
    )
    plan = approve(patient, start=today - timedelta(days=42), today=today - timedelta(days=42))
    for week, sessions in OLD_WEEKS.items():
        for offset, share in sessions:
            day = plan.start_date + timedelta(days=7 * (week - 1) + offset)
            log_on_the_day(plan, day, minutes=round(prescribed(plan, day) * share))
    plan_services.plan_close_weeks(plan=plan, today=today)
    return plan


def stopped_by_a_warning_sign(plan: Plan, today: date):
    """Today's session with new numbness and a note: the plan pauses, STOP for next week."""
    return log_on_the_day(plan, today, minutes=10, red_flags=["numbness"], notes=NUMB_NOTE)


def resumed(plan: Plan, today: date, *, minutes: int = 10) -> Plan:
    return plan_services.plan_resume(
        plan=plan, actor=plan.patient.clinician, start_minutes=minutes, today=today
    )


# --- manage.py in a child process ----------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
# What the suite's own environment sets for itself and a child `manage.py` must not inherit.
SUITE_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DEBUG",
    "SECRET_KEY",
    "REQUIRE_SERVICES",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests' event loop only
}


def manage(
    *args: str, database: Path | None = None, timeout: int = 300, **env: str
) -> subprocess.CompletedProcess:
    """`python manage.py *args` in a child process with the embedded defaults (`make run`'s: no
    Redis, tasks in process, e-mail to the console), on the SQLite file `database` if given, and
    `env` on top."""
    child = {
        name: value
        for name, value in os.environ.items()
        if name not in SUITE_VARIABLES and not name.startswith(("EMAIL_", "PYTEST"))
    }
    if database is not None:
        child["DATABASE_URL"] = f"sqlite:///{database}"
    child.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
