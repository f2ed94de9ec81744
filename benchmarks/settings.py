"""Settings for the benchmark harness: the production settings, plus the baseline route.

Everything else (DEBUG, SECRET_KEY, DATABASE_URL, CONN_MAX_AGE, ...) comes from the environment
exactly as in production; `benchmarks.run` sets it for both the server and its own process.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from stepwise.settings import *  # noqa: F403
from stepwise.settings import BASE_DIR, TEMPLATES

# The baseline view is routed here only: production URLs and the access-matrix tests never see it.
ROOT_URLCONF = "benchmarks.urls"

TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "benchmarks" / "templates"]

# collectstatic goes to the harness's own temporary directory, not the shared staticfiles/.
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", BASE_DIR / "staticfiles"))

# The few patients seeded through `patient_enrol` would print their enrolment e-mails.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
