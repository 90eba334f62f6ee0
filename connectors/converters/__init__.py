"""Bundled converters, declared for the plugin registry under ours and Kafka's class names."""

from connectors.api import PluginSpec, PluginType

_C, _H = PluginType.CONVERTER, PluginType.HEADER_CONVERTER
_JSON = ("connectors.converters.json:JsonConverter", "org.apache.kafka.connect.json.JsonConverter")
_STRING = (
    "connectors.converters.string:StringConverter",
    "org.apache.kafka.connect.storage.StringConverter",
)
_BYTES = (
    "connectors.converters.bytes:ByteArrayConverter",
    "org.apache.kafka.connect.converters.ByteArrayConverter",
)
_SIMPLE = (
    "connectors.converters.header:SimpleHeaderConverter",
    "org.apache.kafka.connect.storage.SimpleHeaderConverter",
)

#: Read by ``connectors.plugins``; nothing is imported until a converter is used.
PLUGINS = [
    *(
        PluginSpec(kind, target, (kafka,))
        for target, kafka in (_JSON, _STRING, _BYTES)
        for kind in (_C, _H)
    ),
    PluginSpec(_H, *_SIMPLE[:1], (_SIMPLE[1],)),
]
