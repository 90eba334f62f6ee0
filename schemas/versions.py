"""Subject and version queries and deletes (soft, then permanent), as Confluent does them.

A mixin of :class:`schemas.registry.SchemaRegistry`, split out to keep each
module short.  Soft delete hides a version from listings, ``latest`` and
compatibility checks while its id keeps resolving (old data stays readable);
a permanent delete is only allowed after a soft delete.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from schemas.errors import (
    InvalidVersionError,
    ReferenceExistsError,
    SubjectNotFoundError,
    SubjectNotSoftDeletedError,
    SubjectSoftDeletedError,
    VersionNotFoundError,
    VersionNotSoftDeletedError,
    VersionSoftDeletedError,
)
from schemas.models import RegisteredSchema

if TYPE_CHECKING:
    from schemas.state import RegistryState

_INT32_MAX = 2**31 - 1
P = ParamSpec("P")
R = TypeVar("R")


def read_locked(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a reader under the registry's lock, so replay never mutates what it iterates."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with args[0]._lock:  # type: ignore[attr-defined]
            return fn(*args, **kwargs)

    return wrapper


def parse_version(raw: str | int) -> int | None:
    """Parse a version path segment: a positive int32, or ``latest``/-1 (None)."""
    if isinstance(raw, str) and raw.lower() == "latest":
        return None
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise InvalidVersionError(raw) from None
    if number == -1:
        return None
    if not 1 <= number <= _INT32_MAX:
        raise InvalidVersionError(raw)
    return number


class VersionsMixin:
    """Subject/version listing, fetching and deleting over the replayed state."""

    _lock: threading.RLock

    @property
    def state(self) -> RegistryState:
        raise NotImplementedError

    def _append(self, records: list[tuple[Any, Any]]) -> None:
        raise NotImplementedError

    def _check_config_writable(self, subject: str | None) -> None:
        raise NotImplementedError

    @read_locked
    def subjects(
        self, *, deleted: bool = False, deleted_only: bool = False, prefix: str = ""
    ) -> list[str]:
        """Subject names with a live version (or any version with ``deleted``)."""
        out = []
        for subject, versions in sorted(self.state.subjects.items()):
            live = any(not e.deleted for e in versions.values())
            if not subject.startswith(prefix) or not versions:
                continue
            if (deleted_only and not live) or (not deleted_only and (live or deleted)):
                out.append(subject)
        return out

    @read_locked
    def versions(
        self, subject: str, *, deleted: bool = False, deleted_only: bool = False
    ) -> list[int]:
        """Version numbers of a subject (40401 if it has none to show)."""
        entries = self.state.subjects.get(subject, {})
        out = [
            ver
            for ver, e in sorted(entries.items())
            if (e.deleted if deleted_only else deleted or not e.deleted)
        ]
        if not out and not (deleted_only and entries):
            raise SubjectNotFoundError(subject)
        return out

    @read_locked
    def live_versions(self, subject: str) -> list[tuple[int, int]]:
        """(version, id) of the subject's live versions, newest first."""
        entries = self.state.subjects.get(subject, {})
        return [(ver, e.id) for ver, e in sorted(entries.items(), reverse=True) if not e.deleted]

    @read_locked
    def get_version(
        self, subject: str, version: int | None, *, deleted: bool = False
    ) -> RegisteredSchema:
        """One version (``None`` = latest live); 40401/40402 when missing."""
        state = self.state
        entries = state.subjects.get(subject, {})
        visible = {v: e for v, e in entries.items() if deleted or not e.deleted}
        if not visible:
            raise SubjectNotFoundError(subject)
        number = max(visible) if version is None else version
        entry = visible.get(number)
        if entry is None:
            raise VersionNotFoundError("latest" if version is None else version)
        return RegisteredSchema(subject, number, entry.id, state.schemas[entry.id], entry.deleted)

    @read_locked
    def referenced_by(self, subject: str, version: int) -> list[int]:
        """Ids of live schemas whose references point at ``subject`` version ``version``."""
        state = self.state
        found = set()
        for versions in state.subjects.values():
            for entry in versions.values():
                refs = state.schemas[entry.id].references
                if not entry.deleted and any(
                    r.subject == subject and r.version == version for r in refs
                ):
                    found.add(entry.id)
        return sorted(found)

    def delete_version(self, subject: str, version: int | None, *, permanent: bool = False) -> int:
        """Soft- or permanently delete one version; returns its number."""
        entries = self.state.subjects.get(subject, {})
        if not entries:
            raise SubjectNotFoundError(subject)
        self._check_config_writable(subject)
        number = version if version is not None else self._latest_for_delete(entries, permanent)
        entry = entries.get(number)
        if entry is None:
            raise VersionNotFoundError(number)
        if permanent and not entry.deleted:
            msg = (
                f"Subject '{subject}' Version {number} was not deleted first before "
                "being permanently deleted"
            )
            raise VersionNotSoftDeletedError(msg)
        if not permanent and entry.deleted:
            msg = (
                f"Subject '{subject}' Version {number} was soft deleted. "
                "Set permanent=true to delete permanently"
            )
            raise VersionSoftDeletedError(msg)
        self._refuse_if_referenced(subject, [number])
        self._append([_delete_record(subject, entry.proposal, permanent)])
        return number

    @staticmethod
    def _latest_for_delete(entries: dict[int, Any], permanent: bool) -> int:
        live = [v for v, e in entries.items() if permanent or not e.deleted]
        if not live:
            msg = "latest"
            raise VersionNotFoundError(msg)
        return max(live)

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        """Soft-delete every live version, or permanently delete a soft-deleted subject."""
        entries = dict(self.state.subjects.get(subject, {}))
        if not entries:
            raise SubjectNotFoundError(subject)
        self._check_config_writable(subject)
        live = sorted(v for v, e in entries.items() if not e.deleted)
        if permanent and live:
            msg = f"Subject '{subject}' was not deleted first before being permanently deleted"
            raise SubjectNotSoftDeletedError(msg)
        if not permanent and not live:
            msg = f"Subject '{subject}' was soft deleted. Set permanent=true to delete permanently"
            raise SubjectSoftDeletedError(msg)
        targets = sorted(entries) if permanent else live
        self._refuse_if_referenced(subject, targets)
        self._append([_delete_record(subject, entries[v].proposal, permanent) for v in targets])
        return targets

    def _refuse_if_referenced(self, subject: str, versions: list[int]) -> None:
        for number in versions:
            users = self.referenced_by(subject, number)
            if users:
                msg = (
                    f"One or more references exist to the schema {{subject={subject}, "
                    f"version={number}}}: ids {users}. Delete those schemas first."
                )
                raise ReferenceExistsError(msg)


def _delete_record(
    subject: str, proposal: str, permanent: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    key = {
        "keytype": "DELETE_VERSION",
        "subject": subject,
        "proposal": proposal,
        "permanent": permanent,
    }
    return key, {}
