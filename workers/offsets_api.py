"""``GET/PATCH/DELETE /connectors/{n}/offsets`` (KIP-875) on top of the herder's stores.

Source offsets live in ``_hub_offsets``; sink offsets are the committed offsets of the
consumer group ``connect-<name>``, shown in Kafka's fixed format
``{"kafka_topic", "kafka_partition"}`` -> ``{"kafka_offset"}``. Changing offsets requires
the connector to be STOPPED, so no task races the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workers.exceptions import BadRequestError
from workers.offset_store import partition_key
from workers.states import TargetState

if TYPE_CHECKING:
    from workers.herder import Herder

NOT_STOPPED = (
    "Connectors must be in the STOPPED state before their offsets can be modified. This can be "
    "done for the specified connector by issuing a 'PUT' request to the "
    "'/connectors/{name}/stop' endpoint"
)
EMPTY = "Partitions / offsets need to be provided for an alter offsets request"


def _message(action: str, external: bool) -> dict[str, str]:
    if external:
        return {"message": f"The offsets for this connector have been {action} successfully"}
    return {
        "message": f"The Connect framework-managed offsets for this connector have been "
        f"{action} successfully. However, if this connector manages offsets externally, "
        f"they will need to be manually {action} in the system that the connector uses."
    }


def get_offsets(herder: Herder, name: str) -> dict[str, Any]:
    """ConnectorOffsets of a source (offsets topic) or sink (consumer group) connector."""
    herder.require(name)
    group = f"connect-{name}"
    if herder.connector_type(name) == "sink":
        rows = [
            {
                "partition": {"kafka_topic": topic, "kafka_partition": p},
                "offset": {"kafka_offset": herder.groups.committed(group, topic, p)},
            }
            for topic, p in _group_partitions(herder, group)
        ]
        return {"offsets": rows}
    rows = [{"partition": p, "offset": o} for p, o in herder.offsets.offsets(name)]
    return {"offsets": rows}


def _group_partitions(herder: Herder, group: str) -> list[tuple[str, int]]:
    if group not in herder.groups.list_groups():
        return []
    return [(row.topic, row.partition) for row in herder.groups.describe(group)]


def _require_stopped(herder: Herder, name: str) -> None:
    herder.require(name)
    if herder.configs.target_state(name) is not TargetState.STOPPED:
        raise BadRequestError(NOT_STOPPED.replace("{name}", name))


def alter_offsets(herder: Herder, name: str, body: Any) -> dict[str, str]:
    """Apply ``{"offsets": [{"partition": {...}, "offset": {...}|null}]}``."""
    with herder._lock:
        _require_stopped(herder, name)
        entries = body.get("offsets") if isinstance(body, dict) else None
        if not isinstance(entries, list) or not entries:
            raise BadRequestError(EMPTY)
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("partition"), dict):
                msg = 'Each offset entry needs a "partition" object and an "offset" object or null'
                raise BadRequestError(msg)
        changes = {_key(e["partition"]): e.get("offset") for e in entries}
        if herder.connector_type(name) == "sink":
            _alter_sink(herder, name, entries)
        else:
            herder.offsets.put(name, changes)
        return _message("altered", _connector_hook(herder, name, entries))


def _key(partition: dict[str, Any]) -> bytes:
    return partition_key(partition)


def _alter_sink(herder: Herder, name: str, entries: list[dict[str, Any]]) -> None:
    commits: dict[tuple[str, int], int] = {}
    resets: list[tuple[str, int]] = []
    for entry in entries:
        part, offset = entry["partition"], entry.get("offset")
        topic, p = part.get("kafka_topic"), part.get("kafka_partition")
        if not isinstance(topic, str) or not isinstance(p, int):
            msg = (
                'Sink connector partitions look like {"kafka_topic": "<topic>", '
                '"kafka_partition": <int>}'
            )
            raise BadRequestError(msg)
        if offset is None:
            resets.append((topic, p))
            continue
        value = offset.get("kafka_offset") if isinstance(offset, dict) else None
        if not isinstance(value, int) or value < 0:
            msg = 'Sink connector offsets look like {"kafka_offset": <non-negative int>}'
            raise BadRequestError(msg)
        commits[(topic, p)] = value
    group = f"connect-{name}"
    if commits:
        herder.groups.commit(group, commits)
    _drop_group_offsets(herder, group, resets)


def _drop_group_offsets(herder: Herder, group: str, partitions: list[tuple[str, int]]) -> None:
    if partitions:
        herder.groups.delete_offsets(group, partitions)


def _connector_hook(herder: Herder, name: str, entries: list[dict[str, Any]]) -> bool:
    config = herder.configs.config(name) or {}
    try:
        cls = herder.registry.connector_class(str(config.get("connector.class")))
        offsets = {orjson_key(e["partition"]): e.get("offset") for e in entries}
        return bool(cls().alter_offsets(config, offsets))
    except Exception:
        return False


def orjson_key(partition: dict[str, Any]) -> str:
    """The canonical JSON text of a source partition (key of the alter_offsets hook map)."""
    return partition_key(partition).decode()


def reset_offsets(herder: Herder, name: str) -> dict[str, str]:
    """Forget every offset of a STOPPED connector."""
    with herder._lock:
        _require_stopped(herder, name)
        group = f"connect-{name}"
        if herder.connector_type(name) == "sink":
            _drop_group_offsets(herder, group, _group_partitions(herder, group))
            entries = []
        else:
            entries = [{"partition": p, "offset": None} for p, _ in herder.offsets.offsets(name)]
            herder.offsets.reset(name)
        return _message("reset", _connector_hook(herder, name, entries))
