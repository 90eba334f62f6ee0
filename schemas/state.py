"""The registry's state, rebuilt by applying ``_schemas`` records in log order.

Every node runs the same deterministic ``apply`` over the same records, so
every node assigns the same ids and versions: a registration record is a
*proposal* and gets its id when it is read back.  The same schema (type,
canonical text, references) always maps to the first id it was given.  A
proposal carries the subject's latest version its author checked
compatibility against (``based_on``); if another registration or a delete
got in first, the proposal is rejected as a conflict and its author checks
again — optimistic concurrency with no leader.

Record formats (JSON key → JSON value):
    {"keytype": "SCHEMA", "subject", "proposal"} → {"schema", "schemaType", "references",
        "based_on", "id"?, "version"?}
    {"keytype": "DELETE_VERSION", "subject", "proposal", "permanent"} → {}
    {"keytype": "CONFIG", "subject"?} → {"compatibilityLevel"} | null
    {"keytype": "MODE", "subject"?} → {"mode"} | null
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from schemas.canonical import identity_text
from schemas.models import (
    CompatibilityLevel,
    Mode,
    Schema,
    SchemaType,
    parse_references,
)

Identity = tuple[str, str, tuple[tuple[str, str, int], ...]]
"""(schema type, canonical text, references) — what makes two schemas the same."""


def identity_of(schema: Schema) -> Identity:
    """The identity key of a schema; whitespace and key order do not matter."""
    try:
        canonical = identity_text(schema.schema_type, json.loads(schema.schema))
    except json.JSONDecodeError:
        canonical = schema.schema
    refs = tuple((r.name, r.subject, r.version) for r in schema.references)
    return schema.schema_type.value, canonical, refs


@dataclass
class VersionEntry:
    """One version of a subject as replayed."""

    id: int
    proposal: str
    deleted: bool = False


@dataclass(frozen=True)
class Outcome:
    """What replay decided for a proposal: (id, version), or a conflict with a reason."""

    id: int = 0
    version: int = 0
    conflict: str = ""


@dataclass
class RegistryState:
    """Subjects, versions, ids, configs and modes, as of some offset of ``_schemas``."""

    subjects: dict[str, dict[int, VersionEntry]] = field(default_factory=dict)
    schemas: dict[int, Schema] = field(default_factory=dict)
    ids: dict[Identity, int] = field(default_factory=dict)
    max_id: int = 0
    global_level: CompatibilityLevel | None = None
    levels: dict[str, CompatibilityLevel] = field(default_factory=dict)
    global_mode: Mode | None = None
    modes: dict[str, Mode] = field(default_factory=dict)
    watched: dict[str, Outcome | None] = field(default_factory=dict)
    holders: dict[int, set[tuple[str, int]]] = field(default_factory=dict)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Apply one record; records this version does not know are skipped."""
        if key is None:
            return
        try:
            k = json.loads(key)
            v = json.loads(value) if value is not None else None
        except json.JSONDecodeError:
            return
        handler = _HANDLERS.get(str(k.get("keytype"))) if isinstance(k, dict) else None
        if handler is not None:
            handler(self, k, v)

    def latest_live(self, subject: str) -> int:
        """The highest non-deleted version of ``subject`` (0 if none)."""
        live = [ver for ver, e in self.subjects.get(subject, {}).items() if not e.deleted]
        return max(live, default=0)

    def _apply_schema(self, k: dict[str, Any], v: Any) -> None:
        if not isinstance(v, dict):
            return
        proposal, subject = str(k["proposal"]), str(k["subject"])
        schema = Schema(
            schema=str(v["schema"]),
            schema_type=SchemaType(v.get("schemaType", "AVRO")),
            references=parse_references(v.get("references")),
        )
        outcome = self._decide(subject, schema, v)
        if proposal in self.watched:
            self.watched[proposal] = outcome
        if outcome.conflict or outcome.version in self.subjects.get(subject, {}):
            return
        self.schemas.setdefault(outcome.id, schema)
        self.ids.setdefault(identity_of(schema), outcome.id)
        self.max_id = max(self.max_id, outcome.id)
        self.subjects.setdefault(subject, {})[outcome.version] = VersionEntry(outcome.id, proposal)
        self.holders.setdefault(outcome.id, set()).add((subject, outcome.version))

    def _decide(self, subject: str, schema: Schema, v: dict[str, Any]) -> Outcome:
        versions = self.subjects.get(subject, {})
        known_id = self.ids.get(identity_of(schema))
        for ver, entry in sorted(versions.items()):
            if not entry.deleted and entry.id == known_id:
                return Outcome(entry.id, ver)
        if int(v.get("based_on", 0)) != self.latest_live(subject):
            return Outcome(conflict="the subject changed while the schema was being checked")
        wanted_id = v.get("id")
        if wanted_id is not None and known_id is None and int(wanted_id) in self.schemas:
            return Outcome(conflict=f"id {wanted_id} is already used by another schema")
        new_id = known_id or (int(wanted_id) if wanted_id is not None else self.max_id + 1)
        wanted_version = v.get("version")
        if wanted_version is not None and int(wanted_version) in versions:
            return Outcome(conflict=f"version {wanted_version} of {subject} already exists")
        version = int(wanted_version) if wanted_version else max(versions, default=0) + 1
        return Outcome(new_id, version)

    def _apply_delete(self, k: dict[str, Any], v: Any) -> None:
        subject, proposal = str(k["subject"]), str(k["proposal"])
        versions = self.subjects.get(subject, {})
        for ver, entry in list(versions.items()):
            if entry.proposal != proposal:
                continue
            if k.get("permanent"):
                del versions[ver]
                self.holders.get(entry.id, set()).discard((subject, ver))
                if not versions:
                    self.subjects.pop(subject, None)
            else:
                entry.deleted = True

    def _apply_config(self, k: dict[str, Any], v: Any) -> None:
        subject = k.get("subject")
        level = CompatibilityLevel(v["compatibilityLevel"]) if isinstance(v, dict) else None
        if subject is None:
            self.global_level = level
        elif level is None:
            self.levels.pop(str(subject), None)
        else:
            self.levels[str(subject)] = level

    def _apply_mode(self, k: dict[str, Any], v: Any) -> None:
        subject = k.get("subject")
        mode = Mode(v["mode"]) if isinstance(v, dict) else None
        if subject is None:
            self.global_mode = mode
        elif mode is None:
            self.modes.pop(str(subject), None)
        else:
            self.modes[str(subject)] = mode


_HANDLERS = {
    "SCHEMA": RegistryState._apply_schema,
    "DELETE_VERSION": RegistryState._apply_delete,
    "CONFIG": RegistryState._apply_config,
    "MODE": RegistryState._apply_mode,
}


def encode(obj: Any) -> bytes:
    """JSON bytes for a ``_schemas`` key or value (sorted keys: equal keys compact together)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
