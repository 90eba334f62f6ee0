"""Redis sink: hashes, strings or streams kept in step with change events.

Declared as data for the plugin registry; nothing (not even ``redis``) is imported until
the connector is used. The alias lets configs written for the Redis Kafka sink
(``com.redis.kafka.connect.RedisSinkConnector``) resolve to this one.
"""

from connectors.api import PluginSpec, PluginType

PLUGINS = [
    PluginSpec(
        PluginType.SINK,
        "connectors.sinks.redis.connector:RedisSinkConnector",
        ("com.redis.kafka.connect.RedisSinkConnector",),
    ),
]
