"""Valid ID numbers and credit codes for tests; another transaction at once, and waiting
for what it does; Debian's Chromium."""

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, connections, transaction

from residents import credit_codes
from residents.idnumbers import check_character


def idn(region: str, birth: str, seq: int) -> str:
    """An 18-digit number for `birth` (YYYYMMDD); odd `seq` is a man, even a woman."""
    first17 = f"{region}{birth}{seq % 1000:03d}"
    return first17 + check_character(first17)


def credit_code(seq: int, division: str = "330106") -> str:
    """A valid unified social credit code of a company (91…) registered in `division`."""
    org = f"{seq:08d}"
    first17 = f"91{division}{org}{credit_codes.org_check_character(org)}"
    return first17 + credit_codes.check_character(first17)


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Poll `condition` until it holds; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)


@contextlib.contextmanager
def a_rival_transaction(
    work: Callable[[], object], *, until: Callable[[], bool], commit: bool
) -> Iterator[None]:
    """Another connection does `work` and ends (commit or roll back) once `until()`."""
    holds_its_rows = threading.Event()
    errors: list[BaseException] = []

    def rival() -> None:
        try:
            with transaction.atomic():
                work()
                holds_its_rows.set()
                wait_until(until, "the moment the rival ends", seconds=30)
                transaction.set_rollback(not commit)
        except BaseException as error:
            errors.append(error)
        finally:
            holds_its_rows.set()
            connection.close()

    thread = threading.Thread(target=rival)
    thread.start()
    holds_its_rows.wait(30)
    try:
        yield
    finally:
        thread.join()
    assert errors == []


CHROMIUM = "/usr/bin/chromium"


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright: missing, it fails the run in CI and skips elsewhere."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()
            # The ORM calls made inside Playwright's event loop opened their own
            # connection; close it so the test database can be dropped.
            connections.close_all()
