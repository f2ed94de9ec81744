"""The benchmark's load: the pages it measures, wrk driving them from a second process in
slices alternating with the baseline, and gunicorn serving them with the production settings
(benchmarks.run runs the whole benchmark)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 16
WRK_THREADS = 2
WARM_UP_SECONDS = 2
# Each page is measured in slices alternating with the baseline (B P P B B P P B): the ratio is
# taken against the baseline measured in between, so a machine that speeds up or slows down over
# a run (a shared VM drifted by 11 % between the first and last baseline of one run) moves both.
ROUNDS = 4


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    method: str
    expected: int  # the one status a correct response has
    target: float | None  # minimum ratio to the baseline
    targets: list[tuple[str, str]] = field(default_factory=list)  # (path, cookie header)
    form: dict[str, str] = field(default_factory=dict)  # POST fields but the submission token


@dataclass
class Measured:
    page: Page
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    wrong_status: int = 0
    unexpected: dict[str, int] = field(default_factory=dict)  # status → count
    socket_errors: int = 0
    queries: int | None = None
    baseline_rps: float | None = None  # the baseline in the slices alternating with this page

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float | None:
        return self.rps / self.baseline_rps if self.baseline_rps else None


def combined(slices: list[Measured]) -> Measured:
    """One row from a page's slices: their requests over their time; the median slice's p50
    and p90, and the worst slice's p99 and maximum (a percentile of the whole run is not
    recoverable from slices, and the worst slice's is never below it)."""
    middle = sorted(slices, key=lambda m: m.p50_ms)[len(slices) // 2]
    unexpected: dict[str, int] = {}
    for m in slices:
        for status, count in m.unexpected.items():
            unexpected[status] = unexpected.get(status, 0) + count
    return Measured(
        page=slices[0].page,
        requests=sum(m.requests for m in slices),
        seconds=sum(m.seconds for m in slices),
        p50_ms=middle.p50_ms,
        p90_ms=sorted(m.p90_ms for m in slices)[len(slices) // 2],
        p99_ms=max(m.p99_ms for m in slices),
        max_ms=max(m.max_ms for m in slices),
        wrong_status=sum(m.wrong_status for m in slices),
        unexpected=unexpected,
        socket_errors=sum(m.socket_errors for m in slices),
        queries=slices[0].queries,
    )


def paired(url: str, page: Page, baseline: Page, csrf: str, seconds: int, workdir: Path):
    """(the page, the baseline): `seconds` of each, in ROUNDS alternating slices."""
    slice_seconds = max(1, round(seconds / ROUNDS))
    slices: dict[bool, list[Measured]] = {True: [], False: []}
    for round_ in range(ROUNDS):
        for is_page in (False, True) if round_ % 2 == 0 else (True, False):
            measured = run_wrk(url, page if is_page else baseline, csrf, slice_seconds, workdir)
            slices[is_page].append(measured)
    row, base = combined(slices[True]), combined(slices[False])
    row.baseline_rps = base.rps
    return row, base


# --- the load generator ------------------------------------------------------------------------

LUA = r"""
local targets = @TARGETS@
local method = @METHOD@
local expected = @EXPECTED@
local csrf = @CSRF@
local form = @BODY@
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  math.randomseed(os.time() * 7919 + tid * 104729)
  counter = tid
  wrong = 0
  statuses = {}
end

-- A version-4 UUID: the log form refuses a submission token it has already stored.
local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function request()
  counter = counter + 1
  local target = targets[counter % #targets + 1]
  local headers = {}
  if target[2] ~= "" then headers["Cookie"] = target[2] end
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["X-CSRFToken"] = csrf
    -- A note of its own too: the same answers again within minutes would be taken for the
    -- form sent twice, and the first session returned without storing anything.
    return wrk.format("POST", target[1], headers,
      form .. "&submission_token=" .. uuid4() .. "&notes=" .. uuid4())
  end
  return wrk.format("GET", target[1], headers)
end

function response(status, headers, body)
  if status ~= expected then
    wrong = wrong + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  local seen = {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("wrong")
    for status, count in pairs(thread:get("statuses")) do
      seen[status] = (seen[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(seen) do
    table.insert(parts, string.format("\"%d\": %d", status, count))
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p90_us\": %d, " ..
    "\"p99_us\": %d, \"max_us\": %d, \"wrong_status\": %d, \"socket_errors\": %d, " ..
    "\"unexpected\": {%s}}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad, e.connect + e.read + e.write + e.timeout,
    table.concat(parts, ", ")))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII text is a valid Lua string literal


def lua_script(page: Page, csrf: str) -> str:
    targets = ", ".join(
        "{" + _lua_string(path) + ", " + _lua_string(cookie) + "}" for path, cookie in page.targets
    )
    return (
        LUA.replace("@TARGETS@", "{" + targets + "}")
        .replace("@METHOD@", _lua_string(page.method))
        .replace("@EXPECTED@", str(page.expected))
        .replace("@CSRF@", _lua_string(csrf))
        .replace("@BODY@", _lua_string(urlencode(page.form)))
    )


def run_wrk(base_url: str, page: Page, csrf: str, seconds: int, workdir: Path) -> Measured:
    script = workdir / f"{page.key}.lua"
    script.write_text(lua_script(page, csrf))
    completed = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            base_url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"^BENCH_JSON (\{.*\})$", completed.stdout, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(match.group(1))
    return Measured(
        page=page,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        wrong_status=data["wrong_status"],
        unexpected=data["unexpected"],
        socket_errors=data["socket_errors"],
    )


# --- the server --------------------------------------------------------------------------------


def production_workers() -> int:
    """The worker count gunicorn.conf.py gives on this machine."""
    namespace: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 (our own file)
    return namespace["workers"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with the production settings on 127.0.0.1 only.

    `instances` > 1 starts that many independent gunicorn masters on the same port with
    SO_REUSEPORT (gunicorn's --reuse-port): the kernel spreads connections over them, as a load
    balancer spreads them over machines. Each has its own workers and nothing is shared between
    them but PostgreSQL and Redis, so the pages answering the same as from one instance shows
    that nothing a page needs is held in a process.
    """

    def __init__(
        self,
        env: dict[str, str],
        *,
        worker_class: str,
        workers: int | None,
        threads: int,
        instances: int = 1,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix="stepwise-bench-gunicorn-", suffix=".log", delete=False
        )
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "stepwise.wsgi:application",
            "--config",
            "gunicorn.conf.py",  # production's: (2 × cores) + 1 workers unless --workers
            "--bind",
            f"127.0.0.1:{self.port}",
            "--worker-class",
            worker_class,
            "--no-control-socket",
        ]
        if workers is not None:
            command += ["--workers", str(workers)]
        if worker_class == "gthread":
            command += ["--threads", str(threads)]
        if instances > 1:
            command += ["--reuse-port"]
        self.description = " ".join(command[3:]).replace(str(self.port), "<free port>")
        self.instances = instances
        per_instance = workers if workers is not None else production_workers()
        self.workers = per_instance * instances
        self.processes = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=self.log,
                stderr=subprocess.STDOUT,
            )
            for _ in range(instances)
        ]

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes):
                break
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop(remove_log=False)
        raise RuntimeError(f"gunicorn did not start; see {self.log.name}")

    def stop(self, *, remove_log: bool = True) -> None:
        """Stop our own gunicorns (their pids only); keep the log when something went wrong."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()
        if remove_log:
            Path(self.log.name).unlink(missing_ok=True)


def measured_on(
    server: Server,
    pages: list[Page],
    baseline: Page,
    csrf: str,
    seconds: int,
    workdir: Path,
    queries: dict[str, int],
) -> tuple[list[Measured], list[Measured]]:
    """(the pages, the baseline of each page's slices) on a started `server`, which is stopped
    afterwards; its log is kept when something went wrong."""
    served = False
    try:
        server.wait_ready()
        for page in [baseline, *pages]:  # warm every worker's caches and connections
            run_wrk(server.url, page, csrf, WARM_UP_SECONDS, workdir)
        rows, baselines = [], []
        for page in pages:
            result, base = paired(server.url, page, baseline, csrf, seconds, workdir)
            result.queries, base.queries = queries.get(page.key), queries[baseline.key]
            rows.append(result)
            baselines.append(base)
            print(
                f"  {page.key:<9} {result.rps:8,.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
                f"p99 {result.p99_ms:6.1f} ms  baseline {base.rps:,.0f} req/s  "
                f"ratio {result.ratio:.2f}  unexpected {result.wrong_status + base.wrong_status} "
                f"{result.unexpected or ''}"
            )
        served = True
        return rows, baselines
    finally:
        server.stop(remove_log=served)
        if not served:
            print(f"gunicorn's log is kept in {server.log.name}", file=sys.stderr)
