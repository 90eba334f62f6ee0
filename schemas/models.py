"""The registry's data model: schema types, references, levels, modes.

Plain frozen dataclasses so they can be hashed (the registry maps a schema's
identity to its id) and serialized to the ``_schemas`` topic unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

_E = TypeVar("_E", bound=StrEnum)


def _member(enum: type[_E], value: object, what: str, error: type[Exception]) -> _E:
    """The member a client named (case-insensitive), or ``error`` listing the valid values.

    Levels and modes are validated alike, so clients get the same message shape for both.
    """
    if isinstance(value, str):
        try:
            return enum(value.upper())
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in enum)
    msg = f"Invalid {what} {value!r}. Valid values are: {allowed}."
    raise error(msg)


class SchemaType(StrEnum):
    """Schema languages the registry understands (Confluent's ``schemaType``)."""

    AVRO = "AVRO"
    JSON = "JSON"

    @classmethod
    def parse(cls, value: str | None) -> SchemaType:
        """Map a request's ``schemaType`` to a type; absent means AVRO, as in Confluent."""
        from schemas.errors import InvalidSchemaError

        if value is None or value == "":
            return cls.AVRO
        try:
            return cls(value.upper())
        except ValueError:
            msg = f"Invalid schema type {value!r}; use one of {', '.join(t.value for t in cls)}."
            raise InvalidSchemaError(msg) from None


class CompatibilityLevel(StrEnum):
    """Which earlier versions a new schema must stay compatible with, and how."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @classmethod
    def parse(cls, value: object) -> CompatibilityLevel:
        """Validate a level given by a client (case-insensitive), raising 42203 otherwise."""
        from schemas.errors import InvalidCompatibilityLevelError

        return _member(cls, value, "compatibility level", InvalidCompatibilityLevelError)

    @property
    def transitive(self) -> bool:
        """True when every earlier version is checked, not only the latest."""
        return self.value.endswith("_TRANSITIVE")

    @property
    def backward(self) -> bool:
        """True when the new schema must read data written with the old ones."""
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        """True when the old schemas must read data written with the new one."""
        return self.value.startswith(("FORWARD", "FULL"))


class Mode(StrEnum):
    """Registry write modes (READONLY refuses writes; IMPORT accepts explicit ids)."""

    READWRITE = "READWRITE"
    READONLY = "READONLY"
    READONLY_OVERRIDE = "READONLY_OVERRIDE"
    IMPORT = "IMPORT"

    @classmethod
    def parse(cls, value: object) -> Mode:
        """Validate a mode given by a client, raising 42204 otherwise."""
        from schemas.errors import InvalidModeError

        return _member(cls, value, "mode", InvalidModeError)


@dataclass(frozen=True, slots=True)
class SchemaReference:
    """A named dependency on another subject's version (``$ref``/named type)."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True, slots=True)
class Schema:
    """A schema as a client submits it: text, language and references."""

    schema: str
    schema_type: SchemaType = SchemaType.AVRO
    references: tuple[SchemaReference, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """Confluent's SchemaString shape (``schemaType`` always present, see COMPAT 3.2)."""
        out: dict[str, Any] = {"schema": self.schema, "schemaType": self.schema_type.value}
        if self.references:
            out["references"] = [r.to_json() for r in self.references]
        return out


@dataclass(frozen=True, slots=True)
class RegisteredSchema:
    """One version of one subject."""

    subject: str
    version: int
    id: int
    schema: Schema
    deleted: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subject": self.subject, "version": self.version, "id": self.id}
        out.update(self.schema.to_json())
        return out


def parse_references(raw: object) -> tuple[SchemaReference, ...]:
    """Read the ``references`` array of a request, rejecting malformed entries with 42201."""
    from schemas.errors import InvalidSchemaError

    if raw is None:
        return ()
    if not isinstance(raw, list):
        msg = "'references' must be a list of {name, subject, version} objects."
        raise InvalidSchemaError(msg)
    refs = []
    for item in raw:
        if not isinstance(item, dict):
            msg = "Each reference must be an object with name, subject and version."
            raise InvalidSchemaError(msg)
        try:
            refs.append(
                SchemaReference(str(item["name"]), str(item["subject"]), int(item["version"]))
            )
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"Invalid reference {item!r}: needs name (str), subject (str), version (int)."
            raise InvalidSchemaError(msg) from exc
    return tuple(refs)
