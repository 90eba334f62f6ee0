"""Sink connectors bundled with cdchub, declared for the plugin registry.

Aliases are the class names of the JVM connectors each one replaces, so existing configs
(``"connector.class": "FileStreamSink"``) resolve to ours unchanged.
"""

from connectors.api import PluginSpec, PluginType

_K = PluginType.SINK

#: Read by ``connectors.plugins``; nothing is imported until a connector is used.
PLUGINS = [
    PluginSpec(
        _K,
        "connectors.sinks.file:FileSinkConnector",
        ("org.apache.kafka.connect.file.FileStreamSinkConnector", "FileStreamSink"),
    ),
    PluginSpec(_K, "connectors.sinks.topic:TopicSinkConnector"),
]
