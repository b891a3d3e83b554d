"""Browser admin for the tree, staff and assignments; thin over services and selectors.

One module per page family (importing them registers the admins); what every
admin of the site shares is in grids.admin.mixins.
"""

from grids.admin import nodes, staff

__all__ = ["nodes", "staff"]
