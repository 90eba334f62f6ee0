"""Topic administration: create, list, describe, alter configs, grow, delete.

Shapes follow Confluent REST Proxy v2 where it has one (``GET /topics`` is a
list of names, ``POST /topics`` takes ``name``/``partitions``/``configs``), and
describe answers with what the log knows per partition (offsets, size,
segments) because that is what a person debugging a pipeline asks first.
Config values may be JSON strings, numbers or booleans; they are stored as the
strings Kafka uses (``true``, ``604800000``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.api.bodies import body_openapi, json_body
from hub.api.errors import unknown_topic, unknown_topic_or_partition
from hub.core_log import Log, TopicDescription
from hub.core_log.errors import UnknownTopicOrPartitionError
from hub.services import HubServices

ConfigValue = str | int | float | bool


class CreateTopicRequest(BaseModel):
    """Body of ``POST /topics``."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Topic name: letters, digits, '.', '_', '-'.")
    partitions: int = Field(default=1, ge=1, description="Number of partitions.")
    configs: dict[str, ConfigValue] = Field(
        default_factory=dict, description="Topic config overrides, e.g. cleanup.policy."
    )


class AlterConfigsRequest(BaseModel):
    """Body of ``PUT /topics/{topic}/configs``: a value sets, ``null`` resets to default."""

    model_config = ConfigDict(extra="forbid")
    configs: dict[str, ConfigValue | None]


class CreatePartitionsRequest(BaseModel):
    """Body of ``POST /topics/{topic}/partitions``: the new total partition count."""

    model_config = ConfigDict(extra="forbid")
    partitions: int = Field(ge=1, description="New total (must exceed the current count).")


def config_string(value: ConfigValue) -> str:
    """Spell a JSON config value the way Kafka configs are written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def topic_json(desc: TopicDescription) -> dict[str, Any]:
    """The describe shape shared by create, describe, alter and grow."""
    return {
        "name": desc.name,
        "internal": desc.internal,
        "partitions": [
            {
                "partition": p.partition,
                "beginning_offset": p.log_start_offset,
                "end_offset": p.end_offset,
                "size_bytes": p.size_bytes,
                "segments": p.segments,
            }
            for p in desc.partitions
        ],
        "configs": dict(desc.configs),
    }


def describe(log: Log, topic: str) -> TopicDescription:
    """Describe a topic, turning "unknown" into the API's helpful 404."""
    try:
        return log.describe_topic(topic)
    except UnknownTopicOrPartitionError:
        raise unknown_topic(topic) from None


def register(app: FastAPI, services: HubServices) -> None:
    """Mount the ``/topics`` administration endpoints."""
    app.include_router(_router(services.log))


def _router(log: Log) -> APIRouter:
    router = APIRouter(prefix="/topics", tags=["topics"])

    @router.get("", summary="List topic names")
    def list_topics(
        internal: Annotated[bool, Query(description="Include internal topics (_*)")] = False,
    ) -> list[str]:
        return sorted(log.list_topics(include_internal=internal))

    @router.post(
        "",
        status_code=201,
        summary="Create a topic",
        openapi_extra=body_openapi(CreateTopicRequest),
    )
    def create_topic(
        body: Annotated[CreateTopicRequest, Depends(json_body(CreateTopicRequest))],
    ) -> dict[str, Any]:
        configs = {k: config_string(v) for k, v in body.configs.items()}
        return topic_json(log.create_topic(body.name, body.partitions, configs))

    @router.get("/{topic}", summary="Describe a topic: partitions, offsets, configs")
    def describe_topic(topic: str) -> dict[str, Any]:
        return topic_json(describe(log, topic))

    @router.delete("/{topic}", status_code=204, summary="Delete a topic and its data")
    def delete_topic(topic: str) -> Response:
        try:
            log.delete_topic(topic)
        except UnknownTopicOrPartitionError:
            raise unknown_topic(topic) from None
        return Response(status_code=204)

    @router.put(
        "/{topic}/configs",
        summary="Set (value) or reset (null) topic configs",
        openapi_extra=body_openapi(AlterConfigsRequest),
    )
    def alter_configs(
        topic: str, body: Annotated[AlterConfigsRequest, Depends(json_body(AlterConfigsRequest))]
    ) -> dict[str, Any]:
        to_set = {k: config_string(v) for k, v in body.configs.items() if v is not None}
        to_delete = [k for k, v in body.configs.items() if v is None]
        try:
            desc = log.alter_topic_configs(topic, set=to_set, delete=to_delete)
        except UnknownTopicOrPartitionError:
            raise unknown_topic(topic) from None
        return topic_json(desc)

    @router.post(
        "/{topic}/partitions",
        summary="Grow a topic to a new partition count",
        openapi_extra=body_openapi(CreatePartitionsRequest),
    )
    def create_partitions(
        topic: str,
        body: Annotated[CreatePartitionsRequest, Depends(json_body(CreatePartitionsRequest))],
    ) -> dict[str, Any]:
        try:
            desc = log.create_partitions(topic, body.partitions)
        except UnknownTopicOrPartitionError:
            raise unknown_topic(topic) from None
        return topic_json(desc)

    @router.get("/{topic}/partitions/{partition}/offsets", summary="First and next offset")
    def partition_offsets(topic: str, partition: int) -> dict[str, int]:
        try:
            return {
                "beginning_offset": log.start_offset(topic, partition),
                "end_offset": log.end_offset(topic, partition),
            }
        except UnknownTopicOrPartitionError:
            raise unknown_topic_or_partition(log.has_topic(topic), topic, partition) from None

    return router
