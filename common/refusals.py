"""The refusal every app's services raise for a step its object's state does not allow."""

from django.core.exceptions import ValidationError


class TransitionRefused(ValidationError):
    """A step the object's state does not allow now: a Chinese message in the admin, a 409
    in the API (common/api.py)."""
