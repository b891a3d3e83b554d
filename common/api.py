"""What every app's API does the same way around a service call."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

from common.refusals import TransitionRefused


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def run_service(service: Any, **kwargs: Any) -> Any:
    """A service: its refusal of a transition is a 409, its ValidationError a 400."""
    try:
        return service(**kwargs)
    except TransitionRefused as refused:
        raise Conflict(detail=refused.messages[0]) from refused
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise serializers.ValidationError(error.message_dict) from error
        raise serializers.ValidationError({"detail": error.messages}) from error
