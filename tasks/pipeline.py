"""The task's life cycle as one table: which action is allowed from which status, by
whom, and where it leads (GB/T 30428 and local practice).

DISPATCHER: who may dispatch (tasks.dispatch_task) over the task's node.
HOLDER: the team or staff member holding it, and anyone it has escalated to.
REPORTER: the user who reported it (rates it once closed).
A target of None is decided by the service: verify (closed, or back to handling
as rework), resume (the status it was held in), and the actions that leave the
status as it is (extend, decide_extension, rate).
"""

from __future__ import annotations

from dataclasses import dataclass

from tasks.models import STAGE_OF_STATUS, Status

DISPATCHER = "dispatcher"
HOLDER = "holder"
REPORTER = "reporter"

# Statuses in which the holder is at work on it.
AT_WORK = frozenset({Status.DISPATCHED, Status.ACKNOWLEDGED, Status.ARRIVED})
OPEN = frozenset(STAGE_OF_STATUS) | {Status.ON_HOLD}


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None
    actor: str
    # The note is required (a reason, the feedback).
    needs_note: bool = False


PIPELINE: dict[str, Transition] = {
    "accept": Transition(frozenset({Status.REPORTED}), Status.ACCEPTED, DISPATCHER),
    "reject": Transition(frozenset({Status.REPORTED}), Status.REJECTED, DISPATCHER, True),
    "dispatch": Transition(
        frozenset({Status.ACCEPTED, Status.RETURNED}), Status.DISPATCHED, DISPATCHER
    ),
    "acknowledge": Transition(frozenset({Status.DISPATCHED}), Status.ACKNOWLEDGED, HOLDER),
    "arrive": Transition(frozenset({Status.ACKNOWLEDGED}), Status.ARRIVED, HOLDER),
    "handle": Transition(frozenset({Status.ARRIVED}), Status.HANDLED, HOLDER, True),
    "verify": Transition(frozenset({Status.HANDLED}), None, DISPATCHER),
    "return": Transition(AT_WORK, Status.RETURNED, HOLDER, True),
    "cancel": Transition(OPEN, Status.CANCELLED, DISPATCHER, True),
    "hold": Transition(frozenset(STAGE_OF_STATUS), Status.ON_HOLD, DISPATCHER, True),
    "resume": Transition(frozenset({Status.ON_HOLD}), None, DISPATCHER),
    "extend": Transition(AT_WORK, None, HOLDER, True),
    "decide_extension": Transition(AT_WORK, None, DISPATCHER),
    "rate": Transition(frozenset({Status.CLOSED}), None, REPORTER),
}
ACTIONS = tuple(PIPELINE)
