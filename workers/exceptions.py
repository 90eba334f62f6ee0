"""Errors the herder raises for REST requests, each with its HTTP status (Kafka's mapper).

Exception tree::

    HerderError            status 500
    ├── NotFoundError      404  unknown connector / task / plugin
    ├── AlreadyExistsError 409  duplicate connector name
    ├── BadRequestError    400  invalid config, wrong state for the operation
    └── ForbiddenError     403  topic tracking disabled
"""

from __future__ import annotations


class HerderError(Exception):
    """Base class; ``status`` is the HTTP status the REST API answers with."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(HerderError):
    """The connector, task or plugin does not exist."""

    status = 404


class AlreadyExistsError(HerderError):
    """A connector with that name exists already."""

    status = 409


class BadRequestError(HerderError):
    """The request cannot be carried out as given (invalid config, wrong state)."""

    status = 400


class ForbiddenError(HerderError):
    """The operation is disabled by configuration."""

    status = 403


def connector_not_found(name: str) -> NotFoundError:
    """Kafka's 404 message for an unknown connector."""
    return NotFoundError(f"Connector {name} not found")
