"""The schema registry service: Confluent's semantics over a replayed record stream.

Reads catch up with the store first (so a node sees what other nodes wrote)
and then answer from memory.  Writes append a record and wait until replay
has applied it; registration is optimistic (see :mod:`schemas.state`), so a
registration that raced with another one is simply checked again.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from schemas import compatibility
from schemas.canonical import ParsedSchema, parse
from schemas.errors import (
    IncompatibleSchemaError,
    InvalidSchemaError,
    OperationNotPermittedError,
    SchemaNotFoundError,
    StoreError,
    SubjectConfigNotFoundError,
    SubjectModeNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)
from schemas.models import CompatibilityLevel, Mode, RegisteredSchema, Schema
from schemas.references import ReferenceResolver
from schemas.state import RegistryState, encode, identity_of
from schemas.storage import RegistryStore
from schemas.versions import VersionsMixin, read_locked

DEFAULT_LEVEL = CompatibilityLevel.BACKWARD
DEFAULT_MODE = Mode.READWRITE
_MAX_ATTEMPTS = 20


class SchemaRegistry(VersionsMixin):
    """Subjects, versions, ids, compatibility configs and modes stored on ``store``.

    Thread-safe.  Several instances over the same store (several hub workers
    over one log) agree on every id and version because they all derive them
    from the store's record order.
    """

    def __init__(self, store: RegistryStore) -> None:
        self._store = store
        self._state = RegistryState()
        self._next_offset = 0
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._parsed: dict[int, ParsedSchema] = {}
        self._refs = ReferenceResolver(self)
        self.catch_up()

    # -- replay -----------------------------------------------------------------
    def catch_up(self, until: int | None = None) -> None:
        """Apply every record appended to the store since the last call.

        Args:
            until: keep reading until this offset has been applied (one's own write).
        """
        if until is None and self._store.end_offset() <= self._next_offset:
            return  # nothing new: the common case of every read, without the lock
        with self._lock:
            while True:
                for offset, key, value in self._store.read(self._next_offset):
                    self._state.apply(key, value)
                    self._next_offset = offset + 1
                if until is None or self._next_offset > until:
                    return
                if self._store.end_offset() <= until:
                    msg = f"Record {until} of the schemas topic never became readable."
                    raise StoreError(msg)

    def _append(self, records: list[tuple[Any, Any]]) -> None:
        encoded = [(encode(k), None if v is None else encode(v)) for k, v in records]
        offsets = self._store.append(encoded)
        self.catch_up(until=max(offsets))

    @property
    def state(self) -> RegistryState:
        """The replayed state (callers must hold no expectations across calls)."""
        self.catch_up()
        return self._state

    # -- schemas ----------------------------------------------------------------
    def parsed(self, schema_id: int) -> ParsedSchema:
        """The parsed schema for ``schema_id`` (cached: ids never change meaning)."""
        cached = self._parsed.get(schema_id)
        if cached is not None:
            return cached
        schema = self.schema_by_id(schema_id)
        result = parse(schema, self._refs.resolve(schema.references))
        self._parsed[schema_id] = result
        return result

    def parse_new(self, schema: Schema) -> tuple[Schema, ParsedSchema]:
        """Validate a submitted schema; return it in stored (compact) form and parsed."""
        parsed = parse(schema, self._refs.resolve(schema.references))
        return Schema(parsed.text, schema.schema_type, schema.references), parsed

    @read_locked
    def schema_by_id(self, schema_id: int, subject: str | None = None) -> Schema:
        """The schema with this id (40403 if none, or if ``subject`` does not hold it)."""
        state = self.state
        schema = state.schemas.get(schema_id)
        holders = self._holders(schema_id, deleted=True)
        if schema is None or not holders or (subject and subject not in {s for s, _ in holders}):
            msg = f"Schema {schema_id} not found"
            raise SchemaNotFoundError(msg)
        return schema

    def _holders(self, schema_id: int, *, deleted: bool) -> list[tuple[str, int]]:
        subjects = self._state.subjects
        return [
            (subject, ver)
            for subject, ver in sorted(self._state.holders.get(schema_id, ()))
            if deleted or not subjects[subject][ver].deleted
        ]

    @read_locked
    def subjects_for_id(self, schema_id: int, *, deleted: bool = False) -> list[str]:
        """Subjects holding the schema (40403 if no subject does)."""
        self.schema_by_id(schema_id)
        return sorted({s for s, _ in self._holders(schema_id, deleted=deleted)})

    @read_locked
    def versions_for_id(self, schema_id: int, *, deleted: bool = False) -> list[tuple[str, int]]:
        """(subject, version) pairs holding the schema (40403 if none)."""
        self.schema_by_id(schema_id)
        return self._holders(schema_id, deleted=deleted)

    def max_id(self) -> int:
        """The highest id given out so far."""
        return self.state.max_id

    # -- register / lookup ------------------------------------------------------
    def register(
        self,
        subject: str,
        schema: Schema,
        *,
        schema_id: int | None = None,
        version: int | None = None,
        normalize: bool = False,
    ) -> RegisteredSchema:
        """Register ``schema`` under ``subject``; idempotent for an already-live schema.

        Raises:
            InvalidSchemaError: the text does not parse (42201).
            IncompatibleSchemaError: it breaks the subject's compatibility level (409).
            OperationNotPermittedError: the registry or subject is read-only (42205).
        """
        del normalize  # the stored form is always the canonical compact text
        stored, parsed = self.parse_new(schema)
        with self._write_lock:
            for _ in range(_MAX_ATTEMPTS):
                self.catch_up()
                mode = self.effective_mode(subject)
                self._check_writable(mode, schema_id, version)
                existing = self._live_match(subject, stored)
                if existing is not None:
                    return existing
                self._check_compatibility(subject, parsed)
                outcome = self._propose(subject, stored, schema_id, version)
                if not outcome.conflict:
                    return RegisteredSchema(subject, outcome.version, outcome.id, stored)
                if schema_id is not None or version is not None:
                    msg = f"Cannot import: {outcome.conflict}."
                    raise OperationNotPermittedError(msg)
        msg = "Too many concurrent registrations for this subject; retry the request."
        raise StoreError(msg)

    def _check_writable(self, mode: Mode, schema_id: int | None, version: int | None) -> None:
        if mode in (Mode.READONLY, Mode.READONLY_OVERRIDE):
            msg = "Subject is in read-only mode; set the mode to READWRITE to register schemas."
            raise OperationNotPermittedError(msg)
        if (schema_id is not None or version is not None) and mode is not Mode.IMPORT:
            msg = "Registering with an explicit id or version is only permitted in IMPORT mode."
            raise OperationNotPermittedError(msg)

    def _live_match(self, subject: str, schema: Schema) -> RegisteredSchema | None:
        known = self._state.ids.get(identity_of(schema))
        for ver, entry in sorted(self._state.subjects.get(subject, {}).items()):
            if known is not None and entry.id == known and not entry.deleted:
                return RegisteredSchema(subject, ver, known, self._state.schemas[known])
        return None

    def _check_compatibility(self, subject: str, parsed: ParsedSchema) -> None:
        reasons = self.compatibility_reasons(subject, parsed, None)
        if reasons:
            raise IncompatibleSchemaError(subject, reasons)

    def compatibility_reasons(
        self, subject: str, parsed: ParsedSchema, version: int | None
    ) -> list[str]:
        """Why ``parsed`` breaks the subject's level (against ``version`` if given)."""
        level = self.effective_level(subject)
        live = self.live_versions(subject)
        if version is not None:
            live = [(version, self.get_version(subject, version).id)]
            level = CompatibilityLevel(level.value.removesuffix("_TRANSITIVE"))
        previous = [(ver, self.parsed(sid)) for ver, sid in live]
        return compatibility.check(level, parsed, previous)

    def _propose(
        self, subject: str, schema: Schema, schema_id: int | None, version: int | None
    ) -> Any:
        proposal = uuid.uuid4().hex
        value: dict[str, Any] = {
            "based_on": self._state.latest_live(subject),
            **schema.to_json(),
            "references": [r.to_json() for r in schema.references],
        }
        if schema_id is not None:
            value["id"] = schema_id
        if version is not None:
            value["version"] = version
        with self._lock:
            self._state.watched[proposal] = None
        try:
            self._append([({"keytype": "SCHEMA", "subject": subject, "proposal": proposal}, value)])
        finally:
            with self._lock:
                outcome = self._state.watched.pop(proposal, None)
        if outcome is None:
            msg = "The registration record was written but not read back; retry the request."
            raise StoreError(msg)
        return outcome

    @read_locked
    def lookup(self, subject: str, schema: Schema, *, deleted: bool = False) -> RegisteredSchema:
        """Find ``schema`` among the subject's versions (Confluent's POST /subjects/{s})."""
        try:
            stored, _ = self.parse_new(schema)
        except InvalidSchemaError:
            stored = schema
        state = self.state
        versions = state.subjects.get(subject, {})
        if not any(deleted or not e.deleted for e in versions.values()):
            raise SubjectNotFoundError(subject)
        known = state.ids.get(identity_of(stored))
        for ver, entry in sorted(versions.items(), reverse=True):
            if entry.id == known and (deleted or not entry.deleted):
                return RegisteredSchema(subject, ver, entry.id, state.schemas[entry.id])
        msg = "Schema not found"
        raise SchemaNotFoundError(msg)

    # -- config and mode --------------------------------------------------------
    def effective_level(self, subject: str | None) -> CompatibilityLevel:
        """Subject level, else global level, else the server default BACKWARD."""
        state = self.state
        if subject is not None and subject in state.levels:
            return state.levels[subject]
        return state.global_level or DEFAULT_LEVEL

    def get_level(self, subject: str | None, *, default_to_global: bool = False) -> str:
        """The level reported by GET /config[/{s}] (40408 if the subject has none)."""
        state = self.state
        if subject is None or default_to_global or subject in state.levels:
            return self.effective_level(subject).value
        msg = (
            f"Subject '{subject}' does not have subject-level compatibility configured; "
            "use defaultToGlobal=true to see the global level."
        )
        raise SubjectConfigNotFoundError(msg)

    def set_level(self, subject: str | None, level: CompatibilityLevel) -> None:
        """Set the global or a subject's compatibility level."""
        self._check_config_writable(subject)
        with self._write_lock:
            self._append([(_cfg_key("CONFIG", subject), {"compatibilityLevel": level.value})])

    def delete_level(self, subject: str | None) -> str:
        """Remove a level (the global one goes back to BACKWARD); return the previous one."""
        previous = self.effective_level(subject).value
        known = self.state.subjects.keys() | self._state.levels.keys()
        if subject is not None and subject not in known:
            raise SubjectNotFoundError(subject)
        with self._write_lock:
            self._append([(_cfg_key("CONFIG", subject), None)])
        return previous

    def _check_config_writable(self, subject: str | None) -> None:
        if self.effective_mode(subject) in (Mode.READONLY, Mode.READONLY_OVERRIDE):
            msg = (
                "The registry is read-only; set the mode to READWRITE to change configs "
                "or delete schemas."
            )
            raise OperationNotPermittedError(msg)

    def effective_mode(self, subject: str | None) -> Mode:
        """Subject mode, else global mode, else READWRITE."""
        state = self.state
        if subject is not None and subject in state.modes:
            return state.modes[subject]
        return state.global_mode or DEFAULT_MODE

    def get_mode(self, subject: str | None, *, default_to_global: bool = False) -> str:
        """The mode reported by GET /mode[/{s}] (40409 if the subject has none)."""
        if subject is None or default_to_global or subject in self.state.modes:
            return self.effective_mode(subject).value
        msg = f"Subject '{subject}' does not have subject-level mode configured."
        raise SubjectModeNotFoundError(msg)

    def set_mode(self, subject: str | None, mode: Mode, *, force: bool = False) -> None:
        """Set a mode; IMPORT needs an empty registry/subject unless ``force``."""
        if mode is Mode.IMPORT and not force:
            populated = self.state.subjects if subject is None else self.live_versions(subject)
            if populated:
                msg = "Cannot enter IMPORT mode while schemas exist; pass force=true to do so."
                raise OperationNotPermittedError(msg)
        with self._write_lock:
            self._append([(_cfg_key("MODE", subject), {"mode": mode.value})])

    def delete_mode(self, subject: str | None) -> str:
        """Remove a mode (global goes back to READWRITE); return the previous one."""
        previous = self.effective_mode(subject).value
        with self._write_lock:
            self._append([(_cfg_key("MODE", subject), None)])
        return previous


def _cfg_key(keytype: str, subject: str | None) -> dict[str, Any]:
    key: dict[str, Any] = {"keytype": keytype}
    if subject is not None:
        key["subject"] = subject
    return key


__all__ = ["DEFAULT_LEVEL", "SchemaRegistry", "VersionNotFoundError"]
