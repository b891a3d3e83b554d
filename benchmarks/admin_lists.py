"""Admin and API lists at street scale: page times in-process, pages/s under gunicorn.

Seeds the demo street (`seed_demo --scale street`: 60,000 households, 150,000
persons, their staff and demo logins) once into a scratch PostgreSQL database,
adds a hundred import batches with bounded problem reports, then for the street
official (`street`, sees the whole street) and a community worker (`worker`,
one community):

  in-process: the median and p95 of N requests through Django's test Client,
      logged in with force_login, of the first page, a middle page, and a
      filtered and a search page of the admin household, person and import-batch
      lists and of the API's /api/v1/households/ and /api/v1/persons/, with
      the number of queries of one request and their time;
  baseline:   the admin household list as it was before 2bf6788 -- the member
      count annotated on the whole queryset (`annotate(member_count=Count(
      "members"))` and Django's plain ChangeList), swapped in on the registered
      admin by this script, the shipped code unchanged -- measured in the same
      run; ratio_vs_annotated_baseline = baseline median / shipped median;
  under load: gunicorn with 2 workers on 127.0.0.1 (a free high port), DEBUG=0,
      serving the admin household list's first page to C concurrent
      connections (Python threads, one connection per request: gunicorn's sync
      workers do not keep connections alive) for S seconds as the street
      official's session; pages/s (pages answered inside the window) and their
      latency, for the baseline first (the same swap, done in the workers by
      `application("annotated")` below) and then the shipped code. A request
      still unanswered when the window closes is abandoned, so the run stops on
      time however slow the server is.

`--explain` prints EXPLAIN
(ANALYZE, BUFFERS) of the slowest queries of every page slower than --slow-ms
(50 ms). Medians and p95 are of --requests (10) timed requests per page, after
two untimed ones. The whole run takes about 10 minutes on 2 shared cores:

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/microgrid \\
      .venv/bin/python benchmarks/admin_lists.py [--requests 10] [--seconds 20] \\
      [--explain]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Production-like: no debug toolbar of templates or query log. The gunicorn workers
# inherit these; the same SECRET_KEY makes the session made here valid there.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.admin.views.main import ChangeList  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from grids.models import Level, Node  # noqa: E402
from residents.models import (  # noqa: E402
    Household,
    HousingStatus,
    ImportBatch,
    Person,
    ResidenceType,
)

HOUSEHOLDS = "/admin/residents/household/"
PERSONS = "/admin/residents/person/"
BATCHES = "/admin/residents/importbatch/"
API_HOUSEHOLDS = "/api/v1/households/"
API_PERSONS = "/api/v1/persons/"


def annotate_whole_queryset() -> Callable[[], None]:
    """Make the registered household admin count members as before 2bf6788; returns an undo.

    The old HouseholdAdmin.get_queryset was
    `selectors.with_member_count(super().get_queryset(request))`, i.e.
    `.annotate(member_count=Count("members"))` on the scoped, ordered queryset,
    with Django's own ChangeList (which also counts the annotated queryset).
    """
    model_admin = admin.site._registry[Household]
    shipped_get_queryset = model_admin.get_queryset

    def get_queryset(request: Any) -> Any:
        return shipped_get_queryset(request).annotate(member_count=Count("members"))

    model_admin.get_queryset = get_queryset  # type: ignore[method-assign]
    model_admin.get_changelist = lambda request, **kwargs: ChangeList  # type: ignore[method-assign]

    def undo() -> None:
        del model_admin.get_queryset
        del model_admin.get_changelist

    return undo


def application(variant: str = "paged") -> Any:
    """The WSGI app for gunicorn: `benchmarks.admin_lists:application("annotated")` is the
    baseline, anything else the shipped code."""
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    if variant == "annotated":
        annotate_whole_queryset()
    return app


# --- data -------------------------------------------------------------------------------


def seed(scale: str) -> None:
    from grids import demo

    start = time.perf_counter()
    demo.seed(scale)
    add_import_batches()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"seeded scale={scale} households={Household.objects.count()} "
        f"persons={Person.objects.count()} batches={ImportBatch.objects.count()} "
        f"seconds={time.perf_counter() - start:.1f}",
        flush=True,
    )


def add_import_batches(per_community: int = 4) -> None:
    """A few imports per community as they accumulate: applied, rejected with a bounded report
    (the first 1,000 problems of 870,851, as issue 8 item 8 found), checked, undone."""
    communities = Node.objects.filter(level=Level.COMMUNITY).order_by("lft")
    problems = [
        {"line": n + 3, "column": "联系电话", "code": "bad_phone", "message": "不是电话号码"}
        for n in range(1000)
    ]
    statuses = [
        ImportBatch.Status.APPLIED,
        ImportBatch.Status.REJECTED,
        ImportBatch.Status.CHECKED,
        ImportBatch.Status.UNDONE,
    ]
    batches = []
    for community in communities:
        for n in range(per_community):
            status = statuses[n % len(statuses)]
            rejected = status == ImportBatch.Status.REJECTED
            batches.append(
                ImportBatch(
                    area=community,
                    filename=f"{community.name}登记表{n}.csv",
                    sha256="0" * 64,
                    upload=b"x" * 256 * 1024,
                    status=status,
                    rows_total=6000,
                    rows_done=6000,
                    summary={
                        "households_created": 0 if rejected else 2400,
                        "households_updated": 0,
                        "persons_created": 0 if rejected else 6000,
                        "persons_updated": 0,
                        "unchanged": 0,
                    },
                    errors=problems if rejected else [],
                    error_count=870_851 if rejected else 0,
                    applied_at=timezone.now() if status == ImportBatch.Status.APPLIED else None,
                )
            )
    ImportBatch.objects.bulk_create(batches)


# --- in-process timing ------------------------------------------------------------------


@dataclass
class Timing:
    label: str
    median_ms: float
    p95_ms: float
    queries: int
    sql_ms: float
    rows: str


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def rows_of(response: Any) -> str:
    context = getattr(response, "context", None)
    if context is not None and "cl" in context:
        cl = context["cl"]
        return f"{len(cl.result_list)}/{cl.result_count}"
    if response.get("Content-Type", "").startswith("application/json"):
        data = response.json()
        return f"{len(data['results'])}/{data['count']}"
    return "?"


def measure(client: Client, label: str, url: str, requests: int, slow_ms: float) -> Timing:
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = captured.captured_queries
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    timing = Timing(
        label=label,
        median_ms=statistics.median(times),
        p95_ms=p95(times),
        queries=len(queries),
        sql_ms=sum(float(q["time"]) for q in queries) * 1000,
        rows=rows_of(response),
    )
    print(
        f"{label:<58} median_ms={timing.median_ms:7.1f} p95_ms={timing.p95_ms:7.1f} "
        f"queries={timing.queries:2d} sql_ms={timing.sql_ms:6.1f} rows={timing.rows}",
        flush=True,
    )
    if EXPLAIN and timing.median_ms > slow_ms:
        explain(queries)
    return timing


EXPLAIN = False


def explain(queries: list[dict[str, Any]], top: int = 2) -> None:
    """EXPLAIN ANALYZE the slowest queries of one request."""
    slowest = sorted(queries, key=lambda q: -float(q["time"]))[:top]
    for query in slowest:
        sql = query["sql"]
        print(f"    -- {float(query['time']) * 1000:.1f} ms: {sql[:600]}")
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            for (line,) in cursor.fetchall():
                print(f"    {line}")


def list_urls(user: Any) -> list[tuple[str, str]]:
    """(label, url) of the pages to time for `user`, with middle pages and search terms
    taken from what they see."""
    from residents import selectors

    households = selectors.visible_households(user)
    persons = selectors.visible_persons(user)
    n_households, n_persons = households.count(), persons.count()
    # A member's full name, in the middle of what the user sees (a search people make).
    name = persons.order_by("pk")[n_persons // 2].name
    community = (
        Node.objects.filter(level=Level.COMMUNITY, pk__in=households.values("community_id"))
        .order_by("lft")
        .first()
    )
    assert community is not None
    admin_middle = lambda n: max(n // 100 // 2, 1)  # noqa: E731 - 100 rows an admin page
    api_middle = lambda n: max(n // 50 // 2, 1)  # noqa: E731 - 50 rows an API page
    rented, floating = HousingStatus.RENTED.value, ResidenceType.FLOATING.value
    return [
        ("admin households first page", HOUSEHOLDS),
        ("admin households middle page", f"{HOUSEHOLDS}?p={admin_middle(n_households)}"),
        ("admin households rented (filter)", f"{HOUSEHOLDS}?housing_status__exact={rented}"),
        ("admin households one community (filter)", f"{HOUSEHOLDS}?community={community.pk}"),
        ("admin households search by a member's name", f"{HOUSEHOLDS}?q={name}"),
        ("admin persons first page", PERSONS),
        ("admin persons middle page", f"{PERSONS}?p={admin_middle(n_persons)}"),
        ("admin persons floating (filter)", f"{PERSONS}?residence_type__exact={floating}"),
        ("admin persons search by name", f"{PERSONS}?q={name}"),
        ("admin import batches first page", BATCHES),
        ("admin import batches rejected (filter)", f"{BATCHES}?status__exact=rejected"),
        ("API households first page", API_HOUSEHOLDS),
        ("API households middle page", f"{API_HOUSEHOLDS}?page={api_middle(n_households)}"),
        ("API households rented (filter)", f"{API_HOUSEHOLDS}?housing_status={rented}"),
        ("API households search by a member's name", f"{API_HOUSEHOLDS}?q={name}"),
        ("API persons first page", API_PERSONS),
        ("API persons middle page", f"{API_PERSONS}?page={api_middle(n_persons)}"),
        ("API persons floating (四掌握 list)", f"{API_PERSONS}?list=floating"),
        ("API persons search by name", f"{API_PERSONS}?q={name}"),
    ]


BASELINE_LABELS = (
    "admin households first page",
    "admin households middle page",
    "admin households rented (filter)",
)


def in_process(users: dict[str, Any], requests: int, slow_ms: float) -> None:
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        urls = list_urls(user)
        print(f"== {role} ({user.username})", flush=True)
        shipped = {t.label: t for t in (measure(client, *u, requests, slow_ms) for u in urls)}
        undo = annotate_whole_queryset()
        try:
            for label, url in urls:
                if label not in BASELINE_LABELS:
                    continue
                base = measure(client, f"BASELINE {label}", url, requests, slow_ms)
                ratio = base.median_ms / shipped[label].median_ms
                print(f"ratio_vs_annotated_baseline {role} {label}: {ratio:.1f}", flush=True)
        finally:
            undo()


# --- under load -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def gunicorn(variant: str) -> Iterator[int]:
    """gunicorn, 2 sync workers on a free loopback port, against the scratch database."""
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            "--timeout=120",
            "--graceful-timeout=2",
            f"benchmarks.admin_lists:application({variant!r})",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "gunicorn exited"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def get(port: int, path: str, cookie: str, timeout: float = 120) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        return response.status, len(response.read())
    finally:
        conn.close()


def load(port: int, path: str, cookie: str, *, connections: int, seconds: float) -> None:
    """`connections` clients, each sending its next request when its last one is answered,
    for `seconds`. Only pages answered inside the window count; a request still waiting
    at its end is abandoned (counted as `unanswered`), so the run stops on time however
    slow the server is."""
    for _ in range(4):  # both workers warm: imports, templates, translations
        status, size = get(port, path, cookie)
        assert status == 200, status
    latencies: list[float] = []
    failures: list[str] = []
    unanswered = [0]
    start = time.monotonic()
    deadline = start + seconds

    def client() -> None:
        while (left := deadline - time.monotonic()) > 0:
            sent = time.monotonic()
            try:
                status, _size = get(port, path, cookie, timeout=left)
            except TimeoutError:
                unanswered[0] += 1
                return
            except OSError as error:
                failures.append(repr(error))
                continue
            if time.monotonic() > deadline:
                unanswered[0] += 1
            elif status != 200:
                failures.append(str(status))
            else:
                latencies.append(time.monotonic() - sent)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        f"pages_per_s={len(latencies) / seconds:.1f} pages={len(latencies)} "
        f"unanswered_at_end={unanswered[0]} failures={len(failures)} page_bytes={size} "
        f"latency_median_ms={statistics.median(latencies) * 1000:.0f} "
        f"latency_p95_ms={p95(latencies) * 1000:.0f}",
        flush=True,
    )
    assert not failures, failures[:5]


def under_load(user: Any, *, connections: int, seconds: float) -> None:
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    for variant in ("annotated", "paged"):
        name = "BASELINE (annotated)" if variant == "annotated" else "shipped (page only)"
        print(
            f"== gunicorn 2 workers, {connections} connections, {seconds:.0f} s, "
            f"{HOUSEHOLDS} as {user.username}: {name}",
            flush=True,
        )
        with gunicorn(variant) as port:
            load(port, HOUSEHOLDS, cookie, connections=connections, seconds=seconds)


def main() -> None:
    global EXPLAIN
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=["tiny", "street"], default="street")
    parser.add_argument("--requests", type=int, default=10, help="timed requests per page")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--slow-ms", type=float, default=50)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn run")
    args = parser.parse_args()
    EXPLAIN = args.explain
    from benchmarks.scratch import scratch_database

    assert connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL server"
    started = time.perf_counter()
    with scratch_database():
        print(f"date={datetime.date.today()} database={connection.vendor}", flush=True)
        seed(args.scale)
        User = get_user_model()
        users = {
            "street official": User.objects.get(username="street"),
            "community worker": User.objects.get(username="worker"),
        }
        in_process(users, args.requests, args.slow_ms)
        if not args.no_load:
            under_load(users["street official"], connections=args.connections, seconds=args.seconds)
    print(f"total_seconds={time.perf_counter() - started:.0f}")


if __name__ == "__main__":
    main()
