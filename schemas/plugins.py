"""The registry converters, declared for ``connectors.plugins`` under ours and Confluent's names.

Nothing is imported until a connector config names one of them, e.g.
``"value.converter": "io.confluent.connect.avro.AvroConverter"``.
"""

from connectors.api import PluginSpec, PluginType

PLUGINS = [
    PluginSpec(
        PluginType.CONVERTER,
        "schemas.converters:AvroConverter",
        ("io.confluent.connect.avro.AvroConverter",),
    ),
    PluginSpec(
        PluginType.CONVERTER,
        "schemas.converters:JsonSchemaConverter",
        ("io.confluent.connect.json.JsonSchemaConverter",),
    ),
]
