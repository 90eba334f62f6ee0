"""Source connectors bundled with cdchub, declared for the plugin registry.

Aliases are the class names of the JVM connectors each one replaces, so existing configs
(``"connector.class": "FileStreamSource"``) resolve to ours unchanged.
"""

from connectors.api import PluginSpec, PluginType

_S = PluginType.SOURCE

#: Read by ``connectors.plugins``; nothing is imported until a connector is used.
PLUGINS = [
    PluginSpec(
        _S,
        "connectors.sources.file:FileSourceConnector",
        ("org.apache.kafka.connect.file.FileStreamSourceConnector", "FileStreamSource"),
    ),
    PluginSpec(_S, "connectors.sources.http_ingest:HttpIngestSourceConnector"),
    PluginSpec(_S, "connectors.sources.http_poll:HttpPollSourceConnector"),
    PluginSpec(
        _S,
        "connectors.sources.sql_poll:SqlPollSourceConnector",
        ("io.confluent.connect.jdbc.JdbcSourceConnector", "JdbcSource"),
    ),
]
