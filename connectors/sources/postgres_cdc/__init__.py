"""PostgreSQL change data capture: initial snapshot + pgoutput logical decoding stream.

Events are Debezium's (topics, envelope, source block, offsets), so a Debezium PostgreSQL
connector config works unchanged. Modules: :mod:`.config` (options), :mod:`.pgoutput`
(protocol decoder), :mod:`.replication` (streaming protocol), :mod:`.types` (type mapping),
:mod:`.envelope` (schemas, records), :mod:`.snapshot`, :mod:`.stream`, :mod:`.incremental`
(signals, watermark chunks), :mod:`.heartbeat`, :mod:`.database` (catalog, checks),
:mod:`.task`, :mod:`.connector`. Import-light: nothing is loaded until the plugin is used.
"""

from connectors.api import PluginSpec, PluginType

#: Read by ``connectors.plugins``.
PLUGINS = [
    PluginSpec(
        PluginType.SOURCE,
        "connectors.sources.postgres_cdc.connector:PostgresCdcConnector",
        ("io.debezium.connector.postgresql.PostgresConnector", "PostgresConnector"),
    ),
]
