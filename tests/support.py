"""Valid ID numbers for tests, and waiting for what another thread or a worker does."""

import time
from collections.abc import Callable

from residents.idnumbers import check_character


def idn(region: str, birth: str, seq: int) -> str:
    """An 18-digit number for `birth` (YYYYMMDD); odd `seq` is a man, even a woman."""
    first17 = f"{region}{birth}{seq % 1000:03d}"
    return first17 + check_character(first17)


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Poll `condition` until it holds; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)
