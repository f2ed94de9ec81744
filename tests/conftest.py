"""Personas and real services for the suite.

Ana and Ben are patients; Dr Cho is Ana's clinician, Dr Dev is Ben's; Dee is staff; Root is a
superuser. Tests that need Redis, a Celery worker, Chromium, an SMTP sink or PostgreSQL skip with a
reason when the thing is missing, and fail instead when REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from plans import services as plan_services
from recovery.defaults import load_treatment_types
from recovery.models import PatientProfile, Role, TreatmentType, User

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "correct-horse-battery"
# The backend a test signs in with when it skips the sign-in form (force_login).
MODEL_BACKEND = "recovery.backends.ModelBackend"


def unavailable(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1, so this fails instead of skipping)")
    pytest.skip(reason)


# --- people ------------------------------------------------------------------------------------


def make_user(username: str, role: str, first: str, last: str, **extra) -> User:
    user = User(
        username=username,
        role=role,
        first_name=first,
        last_name=last,
        email=f"{username}@example.org",
        **extra,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture(autouse=True, scope="session")
def _celery_in_process():
    """Tasks run in process unless a test points the app at Redis and a worker itself.

    CI sets REDIS_URL (so settings name a broker); without this, every red-flag log in a test
    would leave a message in Redis that no worker ever reads.
    """
    from stepwise.celery import app

    # Reading the configuration first makes Celery load Django's settings now; a change made
    # before that would be overwritten by CELERY_TASK_ALWAYS_EAGER when they load later.
    assert app.conf.broker_url is not None
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = False


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded pictures go to a directory of the test's own, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """The test client runs each request in this thread, and the language middleware leaves the
    last request's language active after the response: a test ending on a Spanish page would
    hand Spanish to the next test's plain function calls. Every test starts in the default."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _treatment_types(request):
    """The data migration's treatment types, in every database test.

    Transactional (live-server) tests flush every table afterwards, which also empties a reused
    test database for the tests that come after: put the rows back whenever they are missing.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (
        marker.kwargs.get("transaction") or (len(marker.args) > 0 and marker.args[0])
    )
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
    elif marker is None and "db" not in request.fixturenames:
        return
    else:
        request.getfixturevalue("db")
    if not TreatmentType.objects.exists():
        load_treatment_types(TreatmentType)
    # The outcomes data migration's rows come back by themselves (outcomes/signals.py).


def make_patient(
    username: str,
    first: str,
    clinician: User,
    *,
    treatment: str,
    procedure_date: date,
    timezone_name: str = "America/New_York",
) -> PatientProfile:
    patient = plan_services.patient_enrol(
        clinician=clinician,
        first_name=first,
        last_name="Tester",
        email=f"{username}@example.org",
        treatment_type=TreatmentType.objects.get(name=treatment),
        procedure_date=procedure_date,
        timezone_name=timezone_name,
        today=procedure_date if procedure_date > date.today() else date.today(),
        planned=procedure_date > date.today(),
    )
    user = patient.user
    user.username = username
    user.set_password(PASSWORD)
    user.save()
    return patient


def approve(
    patient: PatientProfile,
    *,
    start: date,
    today: date | None = None,
    sessions_per_week: int = 3,
    target: int = 40,
    stage: int = 2,
    activities=("walking", "recumbent_bike"),
):
    clearance = patient.clearances.get(status="pending")
    treatment_type = clearance.treatment.treatment_type
    return plan_services.clearance_approve(
        clearance=clearance,
        actor=patient.clinician,
        rules={
            "start_minutes": treatment_type.default_start_minutes,
            "min_increment": treatment_type.default_min_increment,
            "max_increment": treatment_type.default_max_increment,
            "target_minutes": target,
            "sessions_per_week": sessions_per_week,
        },
        max_stage=stage,
        allowed_activities=list(activities),
        restrictions="No lifting over 5 kg.",
        start_date=start,
        today=today or start,
        override_reason="Reviewed in clinic; healing well ahead of schedule.",
        stage_override_reason="Reviewed in clinic: strength and healing allow this stage now.",
    )


@pytest.fixture
def dr_cho(db) -> User:
    return make_user("drcho", Role.CLINICIAN, "Mei", "Cho")


@pytest.fixture
def dr_dev(db) -> User:
    return make_user("drdev", Role.CLINICIAN, "Arun", "Dev")


@pytest.fixture
def ana(dr_cho) -> PatientProfile:
    return make_patient(
        "ana",
        "Ana",
        dr_cho,
        treatment="Epidural steroid injection",
        procedure_date=date.today() - timedelta(days=30),
    )


@pytest.fixture
def ben(dr_dev) -> PatientProfile:
    return make_patient(
        "ben",
        "Ben",
        dr_dev,
        treatment="Lumbar fusion",
        procedure_date=date.today() - timedelta(days=60),
    )


@pytest.fixture
def ana_plan(ana):
    """Ana's plan, started 20 days ago (she is in week 3)."""
    return approve(ana, start=date.today() - timedelta(days=20))


@pytest.fixture
def ben_plan(ben):
    return approve(ben, start=date.today() - timedelta(days=6), stage=1, activities=("walking",))


@pytest.fixture
def dee(db) -> User:
    user = make_user("dee", Role.STAFF, "Dee", "Staff", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["plans", "recovery", "outcomes"],
            content_type__model__in=[
                *("exercise", "treatmenttype"),
                *("instrument", "item", "option", "scheduledinstrument"),
            ],
        )
    )
    return user


@pytest.fixture
def root(db) -> User:
    return make_user("root", Role.STAFF, "Root", "Admin", is_staff=True, is_superuser=True)


# --- built from tests/support.py ------------------------------------------------------------------
# tests/support.py imports this module, so what it lends a fixture is imported inside the fixture.


@pytest.fixture
def world(ana_plan, ben_plan, dr_cho, dr_dev, dee, root):
    """The access matrix's world (test_access_matrix, test_hostile_input): tests/support.py."""
    from tests.support import build_world

    return build_world(ana_plan, ben_plan, dr_cho, dr_dev, dee, root)


@pytest.fixture
def clinical_records(ana_plan):
    """One of each clinical record (test_admin, test_admin_privacy): tests/support.py."""
    from tests.support import one_of_each_clinical_record

    return one_of_each_clinical_record(ana_plan)


@pytest.fixture
def cho(client, dr_cho):
    client.force_login(dr_cho)
    return client


@pytest.fixture
def cho_client(client, dr_cho):
    client.force_login(dr_cho, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def staff(client, dee):
    """Dee in the admin, second factor proved."""
    from tests.support import sign_in_to_admin

    return sign_in_to_admin(client, dee)


@pytest.fixture
def superuser(client, root):
    """Root in the admin, second factor proved."""
    from tests.support import sign_in_to_admin

    return sign_in_to_admin(client, root)


@pytest.fixture
def now():
    """This moment to the second, for comparing with what a service stored."""
    from django.utils import timezone

    return timezone.now().replace(microsecond=0)


# --- services ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    # This test process's own database (settings move it for each pytest-xdist process).
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:
        unavailable(f"Redis is not reachable at {url}: {error}")
    return url


@pytest.fixture
def postgres(db):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        unavailable("this test needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def private_redis():
    """A redis-server of this test's own on a free port, stopped afterwards: a PrivateRedis
    (tests/support.py) that can be hung (SIGSTOP) or terminated."""
    from tests.support import private_redis_server

    with private_redis_server() as server:
        yield server


@pytest.fixture
def celery_in_process(monkeypatch):
    """Tasks run in this process, as they do with no broker configured, whatever an earlier test
    left in the Celery app's configuration."""
    from stepwise.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM
