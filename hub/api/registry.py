"""Confluent Schema Registry REST API, served on the hub's port.

Paths, bodies, status codes and error codes are Confluent's (COMPAT.md 3), so
``confluent_kafka.schema_registry.SchemaRegistryClient`` and curl scripts
written for Confluent work unchanged.  Request bodies are read raw and parsed
here, because clients send ``application/vnd.schemaregistry.v1+json`` (and
sometimes ``application/octet-stream``), and booleans in query strings come
as ``True``/``False`` from the Python client.  Reads run on the event loop
(they answer from memory); writes run in the thread pool (they fsync).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response

from schemas.errors import InvalidSchemaError, MalformedRequestError, RegistryError
from schemas.models import CompatibilityLevel, Mode, Schema, SchemaType, parse_references
from schemas.registry import SchemaRegistry
from schemas.storage import LogStore
from schemas.versions import parse_version

if TYPE_CHECKING:
    from hub.services import HubServices

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"

router = APIRouter(tags=["schema registry"])


class RegistryResponse(Response):
    """JSON in Confluent's media type."""

    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _ok(content: Any) -> RegistryResponse:
    return RegistryResponse(content)


def _flag(request: Request, *names: str) -> bool:
    """A boolean query parameter under any of ``names``; accepts true/True/1."""
    for name in names:
        raw = request.query_params.get(name)
        if raw is not None:
            return raw.strip().lower() in ("true", "1", "yes")
    return False


def _prefix(request: Request) -> str:
    prefix = request.query_params.get("subjectPrefix") or request.query_params.get("subject") or ""
    return "" if prefix == ":*:" else prefix


def _page(items: list[Any], request: Request) -> list[Any]:
    """Confluent's ``offset``/``limit`` paging (limit -1 or absent: everything)."""
    try:
        offset = max(0, int(request.query_params.get("offset", "0")))
        limit = int(request.query_params.get("limit", "-1"))
    except ValueError:
        msg = "offset and limit must be integers."
        raise MalformedRequestError(msg) from None
    return items[offset:] if limit < 0 else items[offset : offset + limit]


def registry_of(request: Request) -> SchemaRegistry:
    """The registry this app serves (created by :func:`register`)."""
    registry: SchemaRegistry = request.app.state.schema_registry
    return registry


async def json_body(request: Request) -> dict[str, Any]:
    """Parse the body whatever its content type; 400 with the parser's words otherwise."""
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError as exc:
        msg = f"Malformed JSON body: {exc}"
        raise MalformedRequestError(msg) from exc
    if not isinstance(body, dict):
        msg = "The request body must be a JSON object."
        raise MalformedRequestError(msg)
    return body


def schema_from_body(body: dict[str, Any]) -> Schema:
    """Read ``schema``/``schemaType``/``references`` (42201 when unusable)."""
    text = body.get("schema")
    if isinstance(text, dict | list):
        text = json.dumps(text)
    if not isinstance(text, str) or not text.strip():
        msg = "Empty schema: the body needs a 'schema' field holding the schema text."
        raise InvalidSchemaError(msg)
    return Schema(
        text, SchemaType.parse(body.get("schemaType")), parse_references(body.get("references"))
    )


def _optional_int(body: dict[str, Any], key: str) -> int | None:
    """An explicit ``id``/``version`` (IMPORT mode); absent, 0 and -1 mean "assign one"."""
    raw = body.get(key)
    if raw in (None, 0, -1):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        msg = f"'{key}' must be a positive integer, got {raw!r}."
        raise MalformedRequestError(msg)
    return raw


Registry = Depends(registry_of)
Body = Depends(json_body)


# -- subjects and versions ---------------------------------------------------------
@router.get("/subjects")
async def list_subjects(request: Request, reg: SchemaRegistry = Registry) -> Response:
    """Subjects with a live version (``deleted=true`` adds soft-deleted ones)."""
    subjects = reg.subjects(
        deleted=_flag(request, "deleted"),
        deleted_only=_flag(request, "deletedOnly", "deleted_only"),
        prefix=_prefix(request),
    )
    return _ok(_page(subjects, request))


@router.get("/subjects/{subject}/versions")
async def list_versions(subject: str, request: Request, reg: SchemaRegistry = Registry) -> Response:
    """Version numbers of a subject."""
    versions = reg.versions(
        subject,
        deleted=_flag(request, "deleted"),
        deleted_only=_flag(request, "deletedOnly", "deleted_only"),
    )
    return _ok(_page(versions, request))


@router.post("/subjects/{subject}/versions")
def register_schema(
    subject: str, request: Request, body: dict[str, Any] = Body, reg: SchemaRegistry = Registry
) -> Response:
    """Register a schema under a subject; answers ``{"id": n}``."""
    schema = schema_from_body(body)
    registered = reg.register(
        subject,
        schema,
        schema_id=_optional_int(body, "id"),
        version=_optional_int(body, "version"),
    )
    return _ok({"id": registered.id})


@router.get("/subjects/{subject}/versions/{version}")
async def get_version(
    subject: str, version: str, request: Request, reg: SchemaRegistry = Registry
) -> Response:
    """One version (number, ``latest`` or -1) with its id and schema."""
    found = reg.get_version(subject, parse_version(version), deleted=_flag(request, "deleted"))
    return _ok(found.to_json())


@router.get("/subjects/{subject}/versions/{version}/schema")
async def get_version_schema(
    subject: str, version: str, request: Request, reg: SchemaRegistry = Registry
) -> Response:
    """The raw schema text of one version, unwrapped."""
    found = reg.get_version(subject, parse_version(version), deleted=_flag(request, "deleted"))
    return _ok(json.loads(found.schema.schema))


@router.get("/subjects/{subject}/versions/{version}/referencedby")
async def referenced_by(subject: str, version: str, reg: SchemaRegistry = Registry) -> Response:
    """Ids of schemas referencing this version."""
    found = reg.get_version(subject, parse_version(version), deleted=True)
    return _ok(reg.referenced_by(subject, found.version))


@router.post("/subjects/{subject}")
async def lookup_schema(
    subject: str, request: Request, body: dict[str, Any] = Body, reg: SchemaRegistry = Registry
) -> Response:
    """Is this schema registered under the subject? Answers the version if so."""
    found = reg.lookup(subject, schema_from_body(body), deleted=_flag(request, "deleted"))
    return _ok(found.to_json())


@router.delete("/subjects/{subject}")
def delete_subject(subject: str, request: Request, reg: SchemaRegistry = Registry) -> Response:
    """Soft-delete a subject (``permanent=true`` after a soft delete removes it)."""
    return _ok(reg.delete_subject(subject, permanent=_flag(request, "permanent")))


@router.delete("/subjects/{subject}/versions/{version}")
def delete_version(
    subject: str, version: str, request: Request, reg: SchemaRegistry = Registry
) -> Response:
    """Soft-delete one version (``permanent=true`` after a soft delete removes it)."""
    number = parse_version(version)
    return _ok(reg.delete_version(subject, number, permanent=_flag(request, "permanent")))


# -- schemas by id -----------------------------------------------------------------
@router.get("/schemas/types")
async def schema_types() -> Response:
    """The schema languages this registry accepts."""
    return _ok([t.value for t in SchemaType])


@router.get("/schemas/ids/{schema_id}")
async def get_schema(schema_id: int, request: Request, reg: SchemaRegistry = Registry) -> Response:
    """The schema with a global id (what deserializers call)."""
    schema = reg.schema_by_id(schema_id, request.query_params.get("subject") or None)
    out = schema.to_json()
    if _flag(request, "fetchMaxId"):
        out["maxId"] = reg.max_id()
    return _ok(out)


@router.get("/schemas/ids/{schema_id}/schema")
async def get_schema_text(
    schema_id: int, request: Request, reg: SchemaRegistry = Registry
) -> Response:
    """The raw schema text for an id, unwrapped."""
    schema = reg.schema_by_id(schema_id, request.query_params.get("subject") or None)
    return _ok(json.loads(schema.schema))


@router.get("/schemas/ids/{schema_id}/subjects")
async def get_schema_subjects(
    schema_id: int, request: Request, reg: SchemaRegistry = Registry
) -> Response:
    """Subjects holding the schema with this id."""
    return _ok(reg.subjects_for_id(schema_id, deleted=_flag(request, "deleted")))


@router.get("/schemas/ids/{schema_id}/versions")
async def get_schema_versions(
    schema_id: int, request: Request, reg: SchemaRegistry = Registry
) -> Response:
    """(subject, version) pairs holding the schema with this id."""
    pairs = reg.versions_for_id(schema_id, deleted=_flag(request, "deleted"))
    return _ok([{"subject": s, "version": v} for s, v in pairs])


@router.get("/schemas")
async def list_schemas(request: Request, reg: SchemaRegistry = Registry) -> Response:
    """Every version of every subject (``latestOnly=true``: the latest of each)."""
    deleted = _flag(request, "deleted")
    out = []
    for subject in reg.subjects(deleted=deleted, prefix=_prefix(request)):
        numbers = reg.versions(subject, deleted=deleted)
        for number in numbers[-1:] if _flag(request, "latestOnly") else numbers:
            out.append(reg.get_version(subject, number, deleted=deleted).to_json())
    return _ok(_page(out, request))


@router.get("/contexts")
async def contexts() -> Response:
    """Only the default context exists."""
    return _ok(["."])


@router.get("/associations/resources/{namespace}/{resource}")
async def associations(namespace: str, resource: str) -> Response:
    """No subject associations are kept; clients then fall back to their name strategy."""
    del namespace, resource
    return _ok([])


# -- compatibility -------------------------------------------------------------------
def _compatibility(
    subject: str, version: int | None, request: Request, body: dict[str, Any], reg: SchemaRegistry
) -> Response:
    verbose = _flag(request, "verbose")
    try:
        _, parsed = reg.parse_new(schema_from_body(body))
    except InvalidSchemaError as exc:
        if not verbose:
            raise
        return _ok({"is_compatible": False, "messages": [exc.message]})
    reasons = reg.compatibility_reasons(subject, parsed, version)
    out: dict[str, Any] = {"is_compatible": not reasons}
    if verbose:
        out["messages"] = reasons
    return _ok(out)


@router.post("/compatibility/subjects/{subject}/versions/{version}")
def check_against_version(
    subject: str,
    version: str,
    request: Request,
    body: dict[str, Any] = Body,
    reg: SchemaRegistry = Registry,
) -> Response:
    """Is the schema compatible with one version (``latest`` by default)?"""
    number = parse_version(version)
    if number is None:
        live = reg.live_versions(subject)
        if not live:
            return _ok(
                {"is_compatible": True, **({"messages": []} if _flag(request, "verbose") else {})}
            )
        number = live[0][0]
    return _compatibility(subject, number, request, body, reg)


@router.post("/compatibility/subjects/{subject}/versions")
def check_against_all(
    subject: str, request: Request, body: dict[str, Any] = Body, reg: SchemaRegistry = Registry
) -> Response:
    """Is the schema compatible with every version the level requires?"""
    return _compatibility(subject, None, request, body, reg)


# -- config and mode ---------------------------------------------------------------
@router.get("/config")
async def get_global_config(reg: SchemaRegistry = Registry) -> Response:
    """The global compatibility level."""
    return _ok({"compatibilityLevel": reg.get_level(None)})


@router.put("/config")
def put_global_config(body: dict[str, Any] = Body, reg: SchemaRegistry = Registry) -> Response:
    """Set the global compatibility level."""
    level = CompatibilityLevel.parse(body.get("compatibility", body.get("compatibilityLevel")))
    reg.set_level(None, level)
    return _ok({"compatibility": level.value})


@router.delete("/config")
def delete_global_config(reg: SchemaRegistry = Registry) -> Response:
    """Reset the global level to BACKWARD; answers the previous one."""
    return _ok({"compatibilityLevel": reg.delete_level(None)})


@router.get("/config/{subject}")
async def get_subject_config(
    subject: str, request: Request, reg: SchemaRegistry = Registry
) -> Response:
    """A subject's own level (``defaultToGlobal=true`` falls back to global)."""
    level = reg.get_level(subject, default_to_global=_flag(request, "defaultToGlobal"))
    return _ok({"compatibilityLevel": level})


@router.put("/config/{subject}")
def put_subject_config(
    subject: str, body: dict[str, Any] = Body, reg: SchemaRegistry = Registry
) -> Response:
    """Set a subject's compatibility level."""
    level = CompatibilityLevel.parse(body.get("compatibility", body.get("compatibilityLevel")))
    reg.set_level(subject, level)
    return _ok({"compatibility": level.value})


@router.delete("/config/{subject}")
def delete_subject_config(subject: str, reg: SchemaRegistry = Registry) -> Response:
    """Remove a subject's level; answers the previous effective one."""
    return _ok({"compatibilityLevel": reg.delete_level(subject)})


@router.get("/mode")
async def get_global_mode(reg: SchemaRegistry = Registry) -> Response:
    """The global mode."""
    return _ok({"mode": reg.get_mode(None)})


@router.put("/mode")
def put_global_mode(
    request: Request, body: dict[str, Any] = Body, reg: SchemaRegistry = Registry
) -> Response:
    """Set the global mode (IMPORT on a non-empty registry needs ``force``)."""
    mode = Mode.parse(body.get("mode"))
    reg.set_mode(None, mode, force=_flag(request, "force"))
    return _ok({"mode": mode.value})


@router.delete("/mode")
def delete_global_mode(reg: SchemaRegistry = Registry) -> Response:
    """Reset the global mode to READWRITE."""
    return _ok({"mode": reg.delete_mode(None)})


@router.get("/mode/{subject}")
async def get_subject_mode(
    subject: str, request: Request, reg: SchemaRegistry = Registry
) -> Response:
    """A subject's own mode."""
    return _ok({"mode": reg.get_mode(subject, default_to_global=_flag(request, "defaultToGlobal"))})


@router.put("/mode/{subject}")
def put_subject_mode(
    subject: str, request: Request, body: dict[str, Any] = Body, reg: SchemaRegistry = Registry
) -> Response:
    """Set a subject's mode."""
    mode = Mode.parse(body.get("mode"))
    reg.set_mode(subject, mode, force=_flag(request, "force"))
    return _ok({"mode": mode.value})


@router.delete("/mode/{subject}")
def delete_subject_mode(subject: str, reg: SchemaRegistry = Registry) -> Response:
    """Remove a subject's mode."""
    return _ok({"mode": reg.delete_mode(subject)})


async def _registry_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RegistryError)
    body = orjson.dumps({"error_code": exc.error_code, "message": exc.message})
    return Response(body, status_code=exc.status, media_type=MEDIA_TYPE)


def mount(app: FastAPI, registry: SchemaRegistry) -> None:
    """Serve ``registry`` from ``app`` (used by :func:`register` and by tests)."""
    app.state.schema_registry = registry
    app.add_exception_handler(RegistryError, _registry_error)
    app.include_router(router)


def register(app: FastAPI, services: HubServices) -> None:
    """Mount the registry, stored on the ``_schemas`` topic of the hub's log."""
    mount(app, SchemaRegistry(LogStore(services.log)))
