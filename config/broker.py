"""kombu's filesystem transport with messages that appear whole.

kombu writes a message straight into the queue folder, so a worker listing
the folder can take the file before its bytes are written, read nothing and
die on the empty JSON (celery/kombu#1551). Here a message is written under a
name the worker ignores and renamed into place, which is atomic.
"""

import os
import time
import uuid
from queue import Empty
from typing import Any

from kombu.transport import filesystem
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # kombu's base classes name the message argument differently.
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        folder = self.data_folder_out
        # kombu's name: sorted by time, taken by the worker of `queue`.
        final = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        # No "." in this name, so no worker takes it.
        partial = f"partial-{uuid.uuid4()}"
        with open(os.path.join(folder, partial), "wb") as f:
            f.write(dumps(payload).encode())
        os.replace(os.path.join(folder, partial), os.path.join(folder, final))


class Transport(filesystem.Transport):
    Channel = Channel

    def drain_events(self, connection: Any, timeout: Any = None, **kwargs: Any) -> None:
        """kombu's polling loop, which also gives up as soon as the worker is told to stop.

        This transport has no event loop, so Celery's worker waits here up to 2 s
        at a time (polling the folder) and looks at its shutdown flag only in
        between: Ctrl-C cost seconds for nothing.
        """
        from celery.worker import state

        cycle: Any = self.cycle
        started = time.monotonic()
        while True:
            try:
                cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                # As celery.worker.state.maybe_shutdown reads them: 0 (EX_OK) is set.
                flags = (state.should_stop, state.should_terminate)
                stopping = any(flag is not None and flag is not False for flag in flags)
                if stopping or (timeout is not None and time.monotonic() - started >= timeout):
                    raise TimeoutError() from None  # socket.timeout, which the worker expects
                time.sleep(self.polling_interval or 0.1)
