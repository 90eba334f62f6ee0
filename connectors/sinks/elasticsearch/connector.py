"""ElasticsearchSinkConnector: validates the config and gives every task the same one.

The runtime splits topic partitions between tasks; a document id always comes from one
partition (same key, same partition), so per-document order holds with any ``tasks.max``.
"""

from __future__ import annotations

from connectors.api import ConfiguredConnector, SinkConnector
from connectors.sinks.elasticsearch.config import CONFIG_DEF, EsSinkSettings
from connectors.sinks.elasticsearch.task import VERSION, ElasticsearchSinkTask


class ElasticsearchSinkConnector(ConfiguredConnector, SinkConnector):
    """Keeps Elasticsearch indexes in step with topics (Confluent's connector, in Python)."""

    CONFIG_DEF = CONFIG_DEF
    TASK_CLASS = ElasticsearchSinkTask
    VERSION = VERSION
    SETTINGS = EsSinkSettings
