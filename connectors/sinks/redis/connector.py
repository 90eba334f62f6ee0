"""RedisSinkConnector: validates the config and hands it to each task unchanged.

Tasks share nothing: the runtime splits the topic partitions between them, and a key
always lives in one partition, so per-key log order holds with any ``tasks.max``.
"""

from __future__ import annotations

from connectors.api import ConfiguredConnector, SinkConnector
from connectors.sinks.redis.config import CONFIG_DEF, RedisSinkSettings
from connectors.sinks.redis.task import VERSION, RedisSinkTask


class RedisSinkConnector(ConfiguredConnector, SinkConnector):
    """Keeps Redis keys (hashes/strings) or streams in step with topics of change events."""

    CONFIG_DEF = CONFIG_DEF
    TASK_CLASS = RedisSinkTask
    VERSION = VERSION
    SETTINGS = RedisSinkSettings
