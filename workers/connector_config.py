"""The framework's connector config keys, and validation of a whole connector config.

Kafka Connect splits a connector config in two: keys every connector has (``name``,
``connector.class``, ``tasks.max``, converters, ``transforms``, ``errors.*``, and for sinks
``topics``/``topics.regex``), validated by the runtime, and the connector's own keys,
validated by the connector. :func:`validate_config` runs both, plus the transform chain
and the converters, and returns every error at once (Kafka's ``ConfigInfos``).

cdchub additions (documented in docs/errors-and-dlq.md): ``errors.restart.*`` (automatic
restart of failed tasks with backoff), a dead letter queue for sources too, and
``offset.flush.interval.ms`` per connector.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.api import (
    ConfigDef,
    ConfigError,
    ConfigType,
    ConfigValue,
    Importance,
    NonEmptyString,
    PluginNotFoundError,
    PluginType,
    Range,
    SinkConnector,
    ValidString,
    config_infos,
)
from connectors.plugins import (
    PluginRegistry,
    build_chain,
    chain_config_def,
    converter_from_config,
)
from hub.core_log import InvalidConfigurationError
from hub.core_log.configs import validate_configs

COMMON, TRANSFORMS, PREDICATES, ERRORS = "Common", "Transforms", "Predicates", "Error Handling"
DEFAULT_KEY_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"
DEFAULT_VALUE_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"
DEFAULT_HEADER_CONVERTER = "org.apache.kafka.connect.storage.SimpleHeaderConverter"

_NON_NEGATIVE = Range.at_least(0)


def _common() -> ConfigDef:
    d = ConfigDef()
    d.define(
        "name",
        ConfigType.STRING,
        validator=NonEmptyString(),
        importance=Importance.HIGH,
        documentation="Globally unique name of the connector.",
        group=COMMON,
        order=1,
    )
    d.define(
        "connector.class",
        ConfigType.STRING,
        importance=Importance.HIGH,
        group=COMMON,
        order=2,
        documentation="Connector class: short name, class name or dotted path.",
    )
    d.define(
        "tasks.max",
        ConfigType.INT,
        1,
        Range.at_least(1),
        Importance.HIGH,
        "Maximum number of tasks for this connector.",
        group=COMMON,
        order=3,
    )
    for order, (key, default) in enumerate(
        (
            ("key.converter", DEFAULT_KEY_CONVERTER),
            ("value.converter", DEFAULT_VALUE_CONVERTER),
            ("header.converter", DEFAULT_HEADER_CONVERTER),
        ),
        start=4,
    ):
        d.define(
            key,
            ConfigType.CLASS,
            default,
            importance=Importance.LOW,
            group=COMMON,
            order=order,
            documentation=f"Converter class (default {default}).",
        )
    d.define(
        "config.action.reload",
        ConfigType.STRING,
        "restart",
        ValidString.in_("none", "restart"),
        Importance.LOW,
        "What to do when external config providers change.",
        group=COMMON,
        order=7,
    )
    d.define(
        "offset.flush.interval.ms",
        ConfigType.LONG,
        1000,
        _NON_NEGATIVE,
        Importance.LOW,
        "How often committed offsets are written (cdchub: per connector).",
        group=COMMON,
        order=8,
    )
    d.define(
        "transforms",
        ConfigType.LIST,
        "",
        importance=Importance.LOW,
        group=TRANSFORMS,
        documentation="Aliases of the transformations to apply, in order.",
        order=1,
    )
    d.define(
        "predicates",
        ConfigType.LIST,
        "",
        importance=Importance.LOW,
        group=PREDICATES,
        documentation="Aliases of the predicates used by the transformations.",
        order=1,
    )
    return d


def _errors() -> ConfigDef:
    d = ConfigDef()
    rows: list[tuple[str, ConfigType, Any, Any, str]] = [
        (
            "errors.retry.timeout",
            ConfigType.LONG,
            0,
            Range.at_least(-1),
            "How long (ms) to retry a failed operation; -1 = forever, 0 = no retries.",
        ),
        (
            "errors.retry.delay.max.ms",
            ConfigType.LONG,
            60000,
            _NON_NEGATIVE,
            "Cap (ms) on the exponential delay between retries.",
        ),
        (
            "errors.tolerance",
            ConfigType.STRING,
            "none",
            ValidString.in_("none", "all"),
            "none: a failing record fails the task; all: skip it (and send it to the DLQ).",
        ),
        ("errors.log.enable", ConfigType.BOOLEAN, False, None, "Log every error with its context."),
        (
            "errors.log.include.messages",
            ConfigType.BOOLEAN,
            False,
            None,
            "Include the failing record in error logs.",
        ),
        (
            "errors.deadletterqueue.topic.name",
            ConfigType.STRING,
            "",
            None,
            "Topic receiving failed records (sinks and, in cdchub, sources).",
        ),
        (
            "errors.deadletterqueue.topic.replication.factor",
            ConfigType.SHORT,
            3,
            None,
            "Accepted for compatibility; the embedded log has one replica.",
        ),
        (
            "errors.deadletterqueue.context.headers.enable",
            ConfigType.BOOLEAN,
            False,
            None,
            "Add __connect.errors.* headers describing the failure to DLQ records.",
        ),
        (
            "errors.restart.enable",
            ConfigType.BOOLEAN,
            False,
            None,
            "cdchub: restart FAILED tasks automatically with exponential backoff.",
        ),
        (
            "errors.restart.max.attempts",
            ConfigType.INT,
            10,
            Range.at_least(-1),
            "cdchub: automatic restarts before giving up (-1 = forever).",
        ),
        (
            "errors.restart.backoff.ms",
            ConfigType.LONG,
            1000,
            _NON_NEGATIVE,
            "cdchub: delay before the first automatic restart; doubles each attempt.",
        ),
        (
            "errors.restart.backoff.max.ms",
            ConfigType.LONG,
            60000,
            _NON_NEGATIVE,
            "cdchub: cap on the delay between automatic restarts.",
        ),
    ]
    for order, (key, kind, default, validator, doc) in enumerate(rows, start=1):
        d.define(key, kind, default, validator, Importance.MEDIUM, doc, group=ERRORS, order=order)
    return d


def _sink() -> ConfigDef:
    d = ConfigDef()
    d.define(
        "topics",
        ConfigType.LIST,
        "",
        importance=Importance.HIGH,
        group=COMMON,
        order=10,
        documentation="Topics to consume (or use topics.regex).",
    )
    d.define(
        "topics.regex",
        ConfigType.STRING,
        "",
        importance=Importance.HIGH,
        group=COMMON,
        order=11,
        documentation="Regular expression of topics to consume.",
    )
    d.define(
        "consumer.override.max.poll.records",
        ConfigType.INT,
        500,
        Range.at_least(1),
        Importance.LOW,
        "Most records handed to one put() call.",
        group=COMMON,
        order=12,
    )
    d.define(
        "consumer.override.auto.offset.reset",
        ConfigType.STRING,
        "earliest",
        ValidString.in_("earliest", "latest"),
        Importance.LOW,
        "Where a new consumer group starts.",
        group=COMMON,
        order=13,
    )
    return d


def _source() -> ConfigDef:
    d = ConfigDef()
    d.define(
        "topic.creation.default.partitions",
        ConfigType.INT,
        1,
        Range.at_least(1),
        Importance.LOW,
        "Partitions of topics the connector writes to and that do not "
        "exist yet (created on first write).",
        group="Topic Creation",
        order=1,
    )
    return d


#: KIP-158: ``topic.creation.default.<topic config>`` sets that config on the topics a source
#: connector creates (partitions is a framework key; replication.factor means nothing here)
TOPIC_CREATION_PREFIX = "topic.creation.default."
_NOT_TOPIC_CONFIGS = ("partitions", "replication.factor")


def topic_creation_configs(config: Mapping[str, Any]) -> dict[str, str]:
    """The topic configs a source connector sets on the topics it creates."""
    size = len(TOPIC_CREATION_PREFIX)
    return {
        key[size:]: str(value)
        for key, value in config.items()
        if key.startswith(TOPIC_CREATION_PREFIX) and key[size:] not in _NOT_TOPIC_CONFIGS
    }


def _validate_topic_creation(config: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, value in topic_creation_configs(config).items():
        try:
            validate_configs({name: value})
        except InvalidConfigurationError as exc:
            errors[TOPIC_CREATION_PREFIX + name] = [str(exc)]
    return errors


BASE_DEF = _common().merge(_errors())
SINK_DEF = BASE_DEF.merge(_sink())
SOURCE_DEF = BASE_DEF.merge(_source())


def framework_def(is_sink: bool) -> ConfigDef:
    """The framework keys of a sink or a source connector."""
    return SINK_DEF if is_sink else SOURCE_DEF


@dataclass
class Validation:
    """The outcome of validating one connector config."""

    connector_class: type | None
    connector_type: str
    definition: ConfigDef
    values: list[ConfigValue] = field(default_factory=list)

    @property
    def errors(self) -> dict[str, list[str]]:
        return {v.name: list(v.errors) for v in self.values if v.errors}

    def infos(self, name: str) -> dict[str, Any]:
        """Kafka's ConfigInfos body (``PUT /connector-plugins/{p}/config/validate``)."""
        return config_infos(name, self.definition, self.values)

    def add_errors(self, config: Mapping[str, Any], errors: Mapping[str, list[str]]) -> None:
        by_name = {v.name: v for v in self.values}
        for key, msgs in errors.items():
            if key not in by_name:
                by_name[key] = ConfigValue(key, config.get(key))
                self.values.append(by_name[key])
            by_name[key].errors.extend(m for m in msgs if m not in by_name[key].errors)


def validate_config(registry: PluginRegistry, config: Mapping[str, Any]) -> Validation:
    """Validate framework keys, the connector's keys, transforms and converters together."""
    class_name = str(config.get("connector.class") or "").strip()
    cls: type | None = None
    is_sink = False
    problem: str | None = None
    if class_name:
        try:
            cls = registry.connector_class(class_name)
            is_sink = issubclass(cls, SinkConnector)
        except PluginNotFoundError as exc:
            problem = str(exc)
    result = Validation(
        cls, "sink" if is_sink else "source" if cls else "unknown", framework_def(is_sink)
    )
    result.values = result.definition.validate(config)
    if problem:
        result.add_errors(config, {"connector.class": [problem]})
    if cls is not None:
        _validate_connector(result, cls, config)
    _validate_chain_keys(result, registry, config)
    chain_errors = _validate_plugins(registry, config)
    already = result.errors
    result.add_errors(config, {k: v for k, v in chain_errors.items() if k not in already})
    if is_sink:
        result.add_errors(config, _validate_topics(config))
    else:
        result.add_errors(config, _validate_topic_creation(config))
    return result


def _validate_connector(result: Validation, cls: type, config: Mapping[str, Any]) -> None:
    try:
        connector = cls()
        own = connector.config_def()
        values = connector.validate({k: v for k, v in config.items() if v is not None})
    except Exception as exc:  # a broken plugin must produce an error, not a 500
        result.add_errors(config, {"connector.class": [f"{cls.__name__} failed: {exc}"]})
        return
    result.definition = result.definition.merge(own)
    known = {v.name for v in result.values}
    for v in values:
        if v.name in known:
            result.add_errors(config, {v.name: v.errors} if v.errors else {})
        else:
            result.values.append(v)


def _validate_chain_keys(
    result: Validation, registry: PluginRegistry, config: Mapping[str, Any]
) -> None:
    """Every transform's and predicate's own keys, shown and checked like Kafka does."""
    try:
        chain_def = chain_config_def(config, registry)
        values = chain_def.validate(config)
    except Exception:  # a plugin that cannot describe itself; build_chain reports it below
        return
    result.definition = result.definition.merge(chain_def)
    known = {v.name for v in result.values}
    for v in values:
        if v.name in known:
            result.add_errors(config, {v.name: v.errors} if v.errors else {})
        else:
            result.values.append(v)


def _validate_plugins(registry: PluginRegistry, config: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        build_chain(config, registry).close()
    except ConfigError as exc:
        _merge(errors, exc.errors or {"transforms": [str(exc)]})
    for key, default, is_key in (
        ("key.converter", DEFAULT_KEY_CONVERTER, True),
        ("value.converter", DEFAULT_VALUE_CONVERTER, False),
    ):
        try:
            converter_from_config(
                config, key, is_key=is_key, default=default, registry=registry
            ).close()
        except ConfigError as exc:
            _merge(errors, exc.errors or {key: [str(exc)]})
        except Exception as exc:  # converters that cannot be built at all
            _merge(errors, {key: [f"Invalid value {config.get(key)} for {key}: {exc}"]})
    header = config.get("header.converter")
    if header:
        try:
            registry.resolve(PluginType.HEADER_CONVERTER, str(header))
        except PluginNotFoundError as exc:
            _merge(errors, {"header.converter": [str(exc)]})
    return errors


def _validate_topics(config: Mapping[str, Any]) -> dict[str, list[str]]:
    topics = [t.strip() for t in str(config.get("topics") or "").split(",") if t.strip()]
    pattern = str(config.get("topics.regex") or "").strip()
    if topics and pattern:
        msg = "topics and topics.regex are mutually exclusive; set only one of them."
        return {"topics": [msg], "topics.regex": [msg]}
    if not topics and not pattern:
        msg = "Must configure one of topics or topics.regex for a sink connector."
        return {"topics": [msg], "topics.regex": [msg]}
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            return {"topics.regex": [f"Invalid value {pattern} for topics.regex: {exc}"]}
    dlq = str(config.get("errors.deadletterqueue.topic.name") or "").strip()
    if dlq and (dlq in topics or (pattern and re.fullmatch(pattern, dlq))):
        msg = f"The DLQ topic '{dlq}' may not be included in the topics this connector consumes."
        return {"errors.deadletterqueue.topic.name": [msg]}
    return {}


def _merge(into: dict[str, list[str]], errors: Mapping[str, list[str]]) -> None:
    for key, msgs in errors.items():
        into.setdefault(key, []).extend(msgs)


def invalid_config_message(errors: Mapping[str, list[str]], connector_type: str) -> str:
    """Kafka's 400 message for an invalid create/update, naming every bad key."""
    lines = []
    for key, msgs in errors.items():
        lines += [m if key in m else f"{key}: {m}" for m in msgs]
    head = f"Connector configuration is invalid and contains the following {len(lines)} error(s):"
    tail = (
        "You can also find the above list of errors at the endpoint "
        f"`/connector-plugins/{connector_type}/config/validate`"
    )
    return "\n".join([head, *lines, tail])


def password_keys(definition: ConfigDef) -> set[str]:
    """Keys whose values are secrets (PASSWORD type), masked in responses."""
    return {k.name for k in definition if k.type is ConfigType.PASSWORD}
