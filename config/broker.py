"""kombu's filesystem transport with messages that appear whole.

kombu writes a message straight into the queue folder, so a worker listing
the folder can take the file before its bytes are written, read nothing and
die on the empty JSON (celery/kombu#1551). Here a message is written under a
name the worker ignores and renamed into place, which is atomic.
"""

import os
import time
import uuid
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
