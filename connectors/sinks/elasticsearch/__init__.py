"""Elasticsearch sink: indexes (or data streams) kept in step with change events.

Declared as data for the plugin registry; nothing (not even ``elasticsearch``) is imported
until the connector is used. The alias lets configs written for Confluent's connector
resolve to this one.
"""

from connectors.api import PluginSpec, PluginType

PLUGINS = [
    PluginSpec(
        PluginType.SINK,
        "connectors.sinks.elasticsearch.connector:ElasticsearchSinkConnector",
        ("io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",),
    ),
]
