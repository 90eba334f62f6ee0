"""Consumer groups: list, describe with lag, commit, reset, delete.

Committed offsets live in the log's compacted ``__consumer_offsets`` topic
(:class:`~hub.core_log.GroupOffsets`); these endpoints let a person see how
far behind a group is and move it, the way ``kafka-consumer-groups.sh
--describe`` and ``--reset-offsets`` do.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.api.bodies import body_openapi, json_body
from hub.api.errors import (
    UNKNOWN_GROUP,
    UNKNOWN_PARTITION,
    ApiError,
    bad_request,
    unknown_topic_or_partition,
)
from hub.core_log import GroupOffsets, Log
from hub.core_log.errors import GroupIdNotFoundError, UnknownTopicOrPartitionError
from hub.services import HubServices


class CommittedOffset(BaseModel):
    """One position to commit: the next offset the group will read."""

    model_config = ConfigDict(extra="forbid")
    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)


class CommitRequest(BaseModel):
    """Body of ``POST /consumer-groups/{group}/offsets``."""

    model_config = ConfigDict(extra="forbid")
    offsets: list[CommittedOffset] = Field(min_length=1)
    metadata: str = ""


class ResetRequest(BaseModel):
    """Body of ``POST /consumer-groups/{group}/reset``."""

    model_config = ConfigDict(extra="forbid")
    topic: str
    to: Literal["earliest", "latest", "offset", "timestamp"]
    offset: int | None = Field(default=None, ge=0, description="With to=offset.")
    timestamp: int | None = Field(default=None, ge=0, description="With to=timestamp (ms).")
    partitions: list[int] | None = Field(default=None, description="Default: all partitions.")


def reset_target(body: ResetRequest) -> Literal["earliest", "latest"] | int | dict[str, int]:
    """Translate the request into :meth:`GroupOffsets.reset`'s ``to`` argument."""
    if body.to == "offset":
        if body.offset is None:
            msg = 'to="offset" needs an "offset" field'
            raise bad_request(msg)
        return body.offset
    if body.to == "timestamp":
        if body.timestamp is None:
            msg = 'to="timestamp" needs a "timestamp" field (ms since epoch)'
            raise bad_request(msg)
        return {"timestamp": body.timestamp}
    return "earliest" if body.to == "earliest" else "latest"


def unknown_group(group: str) -> ApiError:
    """404 for a group that never committed, pointing at the list endpoint."""
    message = (
        f"consumer group {group!r} has no committed offsets; GET /consumer-groups lists groups"
    )
    return ApiError(404, UNKNOWN_GROUP, message)


def describe_group(groups: GroupOffsets, group: str) -> dict[str, Any]:
    """Per-partition committed offset, end offset and lag, plus the total lag."""
    try:
        rows = groups.describe(group)
    except GroupIdNotFoundError:
        raise unknown_group(group) from None
    if not rows and group not in groups.list_groups():
        raise unknown_group(group)
    partitions = [
        {
            "topic": r.topic,
            "partition": r.partition,
            "committed": r.committed,
            "end_offset": r.end_offset,
            "lag": r.lag,
        }
        for r in rows
    ]
    return {
        "group_id": group,
        "partitions": partitions,
        "total_lag": sum(r.lag for r in rows if r.lag is not None),
    }


def check_partition(log: Log, topic: str, partition: int) -> None:
    """Refuse to commit for a partition that does not exist (Kafka answers the same)."""
    try:
        log.end_offset(topic, partition)
    except UnknownTopicOrPartitionError:
        raise unknown_topic_or_partition(log.has_topic(topic), topic, partition) from None


def register(app: FastAPI, services: HubServices) -> None:
    """Mount the ``/consumer-groups`` endpoints."""
    router = APIRouter(prefix="/consumer-groups", tags=["consumer groups"])
    log, groups = services.log, services.groups

    @router.get("", summary="List consumer groups that have committed offsets")
    def list_groups() -> list[str]:
        return sorted(groups.list_groups())

    @router.get("/{group}", summary="Describe a group: committed offsets and lag")
    def describe(group: str) -> dict[str, Any]:
        return describe_group(groups, group)

    @router.post(
        "/{group}/offsets",
        status_code=204,
        summary="Commit offsets",
        openapi_extra=body_openapi(CommitRequest),
    )
    def commit(
        group: str, body: Annotated[CommitRequest, Depends(json_body(CommitRequest))]
    ) -> Response:
        for item in body.offsets:
            check_partition(log, item.topic, item.partition)
        offsets = {(o.topic, o.partition): o.offset for o in body.offsets}
        groups.commit(group, offsets, body.metadata)
        return Response(status_code=204)

    @router.post(
        "/{group}/reset",
        summary="Move a group to earliest/latest/offset/timestamp",
        openapi_extra=body_openapi(ResetRequest),
    )
    def reset(
        group: str, body: Annotated[ResetRequest, Depends(json_body(ResetRequest))]
    ) -> dict[str, Any]:
        target = reset_target(body)
        try:
            moved = groups.reset(group, body.topic, target, partitions=body.partitions)
        except UnknownTopicOrPartitionError as exc:
            if log.has_topic(body.topic):
                raise ApiError(404, UNKNOWN_PARTITION, exc.message) from None
            raise unknown_topic_or_partition(False, body.topic, None) from None
        offsets = [{"topic": t, "partition": p, "offset": o} for (t, p), o in sorted(moved.items())]
        return {"group_id": group, "offsets": offsets}

    @router.delete("/{group}", status_code=204, summary="Forget a group's committed offsets")
    def delete(group: str) -> Response:
        if group not in groups.list_groups():
            raise unknown_group(group)
        groups.delete_group(group)
        return Response(status_code=204)

    app.include_router(router)
