"""Signals other apps listen to, so grids never imports them."""

from django.dispatch import Signal

# Sent inside the move's transaction with `node` (already under its new parent),
# so rows that carry a node's ancestors as columns can follow it.
subtree_moved = Signal()

# Sent by grids.demo.seed inside its transaction with `street` (the root node)
# and `scale` ("tiny" or "street"), so other apps add their demo data.
demo_street_seeded = Signal()
