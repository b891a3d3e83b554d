"""The embedded broker: a worker never takes a message that is still being written."""

import os
from pathlib import Path

from kombu import Connection
from kombu.transport import filesystem

from config.broker import Transport


class FolderProbe:
    """Serialised while the message is written: notes what a worker listing the folder sees."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: list[str] | None = None

    def __json__(self) -> str:
        self.seen = os.listdir(self.folder)
        return "probe"


def put_with_probe(transport: type, folder: Path) -> list[str]:
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(folder),
    }
    with Connection(transport=transport, transport_options=options) as connection:
        channel = connection.default_channel
        probe = FolderProbe(folder)
        channel._put("jobs", {"body": probe})
        assert probe.seen is not None
        assert channel._get("jobs") == {"body": "probe"}
        return [name for name in probe.seen if name.endswith(".jobs.msg")]


def test_a_message_appears_only_when_written_whole(tmp_path):
    assert put_with_probe(Transport, tmp_path) == []


def test_kombus_own_transport_shows_it_before_it_is_written(tmp_path):
    """What the subclass is for: once kombu writes whole messages, the subclass can go."""
    assert put_with_probe(filesystem.Transport, tmp_path) != []
