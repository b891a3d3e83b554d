import logging

from celery import shared_task

from grids.integrity import check_trees

logger = logging.getLogger(__name__)


@shared_task
def verify_tree_integrity() -> int:
    """Nightly: log every fault check_tree would report, so corruption is seen early."""
    trees, faults = check_trees()
    for fault in faults:
        logger.error("tree fault %s", fault)
    logger.info("verified %d tree(s), %d fault(s)", trees, len(faults))
    return len(faults)
