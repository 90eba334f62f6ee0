"""Single message transforms and predicates, under our names and Kafka's/Debezium's.

``PLUGINS`` is read by ``connectors.plugins``; nothing here is imported until used, so
listing plugins stays cheap.
"""

from connectors.api import PluginSpec, PluginType

KAFKA_TRANSFORMS = "org.apache.kafka.connect.transforms"

#: (our module, Kafka simple class name, has $Key/$Value variants)
_TRANSFORMS = [
    ("insert_field", "InsertField", True),
    ("replace_field", "ReplaceField", True),
    ("mask_field", "MaskField", True),
    ("fields", "ValueToKey", False),
    ("fields", "ExtractField", True),
    ("fields", "HoistField", True),
    ("cast", "Cast", True),
    ("timestamp_converter", "TimestampConverter", True),
    ("routers", "RegexRouter", False),
    ("routers", "TimestampRouter", False),
    ("filter", "Filter", False),
    ("flatten", "Flatten", True),
    ("headers", "HeaderFrom", True),
    ("headers", "InsertHeader", False),
    ("headers", "DropHeaders", False),
    ("schema_metadata", "SetSchemaMetadata", True),
]
_PREDICATES = ["TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"]


def _transform_specs() -> list[PluginSpec]:
    specs = []
    for module, name, keyed in _TRANSFORMS:
        target = f"connectors.transforms.{module}:{name}"
        if not keyed:
            specs.append(
                PluginSpec(PluginType.TRANSFORMATION, target, (f"{KAFKA_TRANSFORMS}.{name}",))
            )
            continue
        for part in ("Key", "Value"):
            specs.append(
                PluginSpec(
                    PluginType.TRANSFORMATION,
                    f"{target}{part}",
                    (f"{KAFKA_TRANSFORMS}.{name}${part}", f"{name}.{part}"),
                )
            )
    return specs


PLUGINS = [
    *_transform_specs(),
    *(
        PluginSpec(
            PluginType.PREDICATE,
            f"connectors.transforms.predicates:{name}",
            (f"{KAFKA_TRANSFORMS}.predicates.{name}",),
        )
        for name in _PREDICATES
    ),
    PluginSpec(
        PluginType.TRANSFORMATION,
        "connectors.transforms.debezium:ExtractNewRecordState",
        ("io.debezium.transforms.ExtractNewRecordState",),
    ),
]
