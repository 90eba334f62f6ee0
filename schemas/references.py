"""Schema references: a schema that uses types defined under other subjects.

A reference ``{"name", "subject", "version"}`` says "the schema known as
``name`` (a JSON Schema ``$ref`` target, or the file defining an Avro named
type) is version ``version`` of ``subject``".  Resolution is recursive:
references of references are resolved too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from schemas.errors import InvalidSchemaError, RegistryError
from schemas.models import SchemaReference

if TYPE_CHECKING:
    from schemas.canonical import ParsedSchema
    from schemas.registry import SchemaRegistry


class ReferenceResolver:
    """Turns references into the parsed schemas they name, using the registry."""

    def __init__(self, registry: SchemaRegistry) -> None:
        self._registry = registry

    def resolve(self, references: Sequence[SchemaReference]) -> dict[str, ParsedSchema]:
        """Parsed schemas by reference name; a dangling reference is an invalid schema (42201)."""
        resolved: dict[str, ParsedSchema] = {}
        for ref in references:
            try:
                target = self._registry.get_version(ref.subject, ref.version, deleted=True)
            except RegistryError as exc:
                msg = (
                    f"Invalid schema: reference '{ref.name}' points at subject "
                    f"'{ref.subject}' version {ref.version}, which does not exist "
                    f"({exc.message}). Register the referenced schema first."
                )
                raise InvalidSchemaError(msg) from exc
            resolved[ref.name] = self._registry.parsed(target.id)
        return resolved
