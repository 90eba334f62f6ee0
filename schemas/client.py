"""A small HTTP client for any Confluent-compatible registry (this hub's or Confluent's).

Converters use it only when they meet a schema or id for the first time;
results are cached for the life of the client (an id never changes meaning,
and a (subject, schema) registration is idempotent), so the registry stays off
the per-record path.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from schemas.errors import RegistryError
from schemas.models import Schema, SchemaType, parse_references

_HEADERS = {
    "Content-Type": "application/vnd.schemaregistry.v1+json",
    "Accept": "application/vnd.schemaregistry.v1+json, application/json",
}


class RemoteRegistryError(RegistryError):
    """The registry answered with an error (its status, code and message are kept)."""

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class RegistryClient:
    """Register, look up and fetch schemas over HTTP, with caches.

    Args:
        url: base URL, e.g. ``http://localhost:8083`` (the hub) or ``http://sr:8081``.
        basic_auth: ``"user:password"`` (Confluent's ``basic.auth.user.info``), optional.
        timeout: seconds per request.
        transport: an httpx transport (tests).
    """

    def __init__(
        self,
        url: str,
        *,
        basic_auth: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        auth = tuple(basic_auth.split(":", 1)) if basic_auth else None
        self._http = httpx.Client(
            base_url=url.split(",")[0].rstrip("/"),
            headers=_HEADERS,
            timeout=timeout,
            auth=auth,  # type: ignore[arg-type]
            transport=transport,
        )
        self._lock = threading.Lock()
        self._by_id: dict[int, Schema] = {}
        self._ids: dict[tuple[str, Schema], int] = {}

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            resp = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            msg = (
                f"Cannot reach the schema registry at {self._http.base_url}: {exc}. "
                "Check schema.registry.url."
            )
            raise RemoteRegistryError(503, 50003, msg) from exc
        if resp.status_code >= 400:
            try:
                err = resp.json()
                code, message = int(err["error_code"]), str(err["message"])
            except (ValueError, KeyError, TypeError):
                code, message = resp.status_code, resp.text
            raise RemoteRegistryError(resp.status_code, code, message)
        return resp.json() if resp.content else None

    @staticmethod
    def _body(schema: Schema) -> dict[str, Any]:
        return {
            "schema": schema.schema,
            "schemaType": schema.schema_type.value,
            "references": [r.to_json() for r in schema.references],
        }

    def register(self, subject: str, schema: Schema) -> int:
        """Register (idempotent) and return the id."""
        key = (subject, schema)
        with self._lock:
            if key in self._ids:
                return self._ids[key]
        found = self._call("POST", f"/subjects/{_quote(subject)}/versions", self._body(schema))
        schema_id = int(found["id"])
        with self._lock:
            self._ids[key] = schema_id
            self._by_id.setdefault(schema_id, schema)
        return schema_id

    def lookup(self, subject: str, schema: Schema) -> int:
        """The id of ``schema`` under ``subject`` (40401/40403 when not registered)."""
        key = (subject, schema)
        with self._lock:
            if key in self._ids:
                return self._ids[key]
        found = self._call("POST", f"/subjects/{_quote(subject)}", self._body(schema))
        with self._lock:
            self._ids[key] = int(found["id"])
        return int(found["id"])

    def latest(self, subject: str) -> tuple[int, Schema]:
        """The latest version's (id, schema); not cached (it changes)."""
        found = self._call("GET", f"/subjects/{_quote(subject)}/versions/latest")
        return int(found["id"]), _schema_of(found)

    def schema_by_id(self, schema_id: int) -> Schema:
        """The schema with ``schema_id`` (cached forever: ids never change meaning)."""
        with self._lock:
            cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        schema = _schema_of(self._call("GET", f"/schemas/ids/{schema_id}"))
        with self._lock:
            self._by_id[schema_id] = schema
        return schema

    def version(self, subject: str, version: int) -> tuple[int, Schema]:
        """(id, schema) of one version of a subject (used to resolve references)."""
        found = self._call("GET", f"/subjects/{_quote(subject)}/versions/{version}")
        return int(found["id"]), _schema_of(found)

    def close(self) -> None:
        self._http.close()


def _quote(subject: str) -> str:
    return httpx.URL("/" + subject).raw_path.decode()[1:].replace("/", "%2F")


def _schema_of(body: dict[str, Any]) -> Schema:
    return Schema(
        str(body["schema"]),
        SchemaType.parse(body.get("schemaType")),
        parse_references(body.get("references")),
    )
