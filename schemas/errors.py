"""The registry's exception tree, one class per Confluent error code.

Every error carries the HTTP status and Confluent's ``error_code`` so the
REST router can answer exactly what a Confluent Schema Registry would, and
clients written for Confluent (which branch on ``error_code``) keep working.

    RegistryError
    ├── SubjectNotFoundError          (404, 40401)
    ├── VersionNotFoundError          (404, 40402)
    ├── SchemaNotFoundError           (404, 40403)
    ├── SubjectSoftDeletedError       (404, 40404)
    ├── SubjectNotSoftDeletedError    (404, 40405)
    ├── VersionSoftDeletedError       (404, 40406)
    ├── VersionNotSoftDeletedError    (404, 40407)
    ├── SubjectConfigNotFoundError    (404, 40408)
    ├── SubjectModeNotFoundError      (404, 40409)
    ├── IncompatibleSchemaError       (409, 409)
    ├── InvalidSchemaError            (422, 42201)
    ├── InvalidVersionError           (422, 42202)
    ├── InvalidCompatibilityLevelError(422, 42203)
    ├── InvalidModeError              (422, 42204)
    ├── OperationNotPermittedError    (422, 42205)
    ├── ReferenceExistsError          (422, 42206)
    ├── StoreError                    (500, 50001)
    ├── MalformedRequestError         (400, 400)
    └── SerializationError            (not HTTP: payload does not match its schema)
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every error the registry reports to a client."""

    status: int = 500
    error_code: int = 50001

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SubjectNotFoundError(RegistryError):
    """No live version of the subject exists."""

    status, error_code = 404, 40401

    def __init__(self, subject: str) -> None:
        super().__init__(f"Subject '{subject}' not found.")


class VersionNotFoundError(RegistryError):
    """The subject has no such (live) version."""

    status, error_code = 404, 40402

    def __init__(self, version: int | str) -> None:
        super().__init__(f"Version {version} not found.")


class SchemaNotFoundError(RegistryError):
    """No schema with that id, or the schema is not under that subject."""

    status, error_code = 404, 40403


class SubjectSoftDeletedError(RegistryError):
    """The subject was soft-deleted; use ?deleted=true or delete permanently."""

    status, error_code = 404, 40404


class SubjectNotSoftDeletedError(RegistryError):
    """A permanent delete was asked before the soft delete."""

    status, error_code = 404, 40405


class VersionSoftDeletedError(RegistryError):
    """The version was soft-deleted."""

    status, error_code = 404, 40406


class VersionNotSoftDeletedError(RegistryError):
    """A permanent version delete was asked before the soft delete."""

    status, error_code = 404, 40407


class SubjectConfigNotFoundError(RegistryError):
    """The subject has no compatibility level of its own."""

    status, error_code = 404, 40408


class SubjectModeNotFoundError(RegistryError):
    """The subject has no mode of its own."""

    status, error_code = 404, 40409


class IncompatibleSchemaError(RegistryError):
    """Registration refused by the compatibility check; ``reasons`` lists every violation."""

    status, error_code = 409, 409

    def __init__(self, subject: str, reasons: list[str]) -> None:
        super().__init__(
            "Schema being registered is incompatible with an earlier schema for subject "
            f'"{subject}", details: [{"; ".join(reasons)}]'
        )
        self.reasons = reasons


class InvalidSchemaError(RegistryError):
    """The schema text does not parse; the message carries the parser's words."""

    status, error_code = 422, 42201


class InvalidVersionError(RegistryError):
    """A version that is neither a positive int32 nor ``latest``/-1."""

    status, error_code = 422, 42202

    def __init__(self, version: object) -> None:
        super().__init__(
            f"The specified version '{version}' is not a valid version id. Allowed values are "
            'between [1, 2^31-1] and the string "latest"'
        )


class InvalidCompatibilityLevelError(RegistryError):
    """An unknown compatibility level."""

    status, error_code = 422, 42203


class InvalidModeError(RegistryError):
    """An unknown registry mode."""

    status, error_code = 422, 42204


class OperationNotPermittedError(RegistryError):
    """A write refused by the current mode (READONLY) or an IMPORT rule."""

    status, error_code = 422, 42205


class ReferenceExistsError(RegistryError):
    """The version is still referenced by another schema."""

    status, error_code = 422, 42206


class StoreError(RegistryError):
    """The ``_schemas`` topic could not be read or written."""

    status, error_code = 500, 50001


class SerializationError(Exception):
    """A record could not be (de)serialized; the message names the failing path."""


class MalformedRequestError(RegistryError):
    """The request body is not the JSON object the endpoint expects."""

    status, error_code = 400, 400
