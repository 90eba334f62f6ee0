"""Single message transforms, predicates, and the ``transforms``/``predicates`` chain.

Chain semantics are Kafka Connect's: transforms run in the order of ``transforms``; a
transform with ``predicate`` runs only on records the predicate matches (or does not match,
with ``negate=true``); a transform returning None drops the record and ends the chain.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from connectors.api.config import ConfigDef
from connectors.api.data import Schema
from connectors.api.errors import ConfigError, ConnectError
from connectors.api.plugin import PluginType
from connectors.api.records import ConnectRecord

R = TypeVar("R", bound=ConnectRecord)


class Transformation(ABC, Generic[R]):
    """Changes, reroutes or drops one record at a time (Kafka's ``Transformation``)."""

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Apply ``transforms.<alias>.*`` (prefix stripped); ConfigError lists every bad key."""
        return

    @abstractmethod
    def apply(self, record: R) -> R | None:
        """The transformed record (a new one: never mutate the input), or None to drop it."""

    def apply_to_values(
        self, schema: Schema | None, values: list[Any]
    ) -> tuple[Schema | None, list[Any]] | None:
        """Optional columnar form of :meth:`apply`, for the values of many records at once.

        The records differ only in their value and all have ``schema``: return the new
        schema (one for all) and the new values, exactly what :meth:`apply` would give
        record by record, or None when this transform needs the records themselves (it
        reads the topic, key or headers, drops records, or the batch is unusual). The
        default is None; the runtime then builds the records and calls :meth:`apply`.
        """
        return None

    def config_def(self) -> ConfigDef:
        return ConfigDef()

    def close(self) -> None:
        return


class Predicate(ABC, Generic[R]):
    """Decides whether a transform applies to a record (Kafka's ``Predicate``, KIP-585)."""

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Apply ``predicates.<alias>.*`` (prefix stripped)."""
        return

    @abstractmethod
    def test(self, record: R) -> bool: ...

    def config_def(self) -> ConfigDef:
        return ConfigDef()

    def close(self) -> None:
        return


@dataclass
class TransformationStage(Generic[R]):
    """One configured transform with its optional predicate."""

    alias: str
    transformation: Transformation[R]
    predicate: Predicate[R] | None = None
    negate: bool = False

    def apply(self, record: R) -> R | None:
        if self.predicate is not None and self.predicate.test(record) == self.negate:
            return record
        return self.transformation.apply(record)


@dataclass
class TransformationChain(Generic[R]):
    """The ordered stages of a connector; empty chains return records unchanged."""

    stages: list[TransformationStage[R]] = field(default_factory=list)

    def apply(self, record: R) -> R | None:
        for stage in self.stages:
            out = stage.apply(record)
            if out is None:
                return None
            record = out
        return record

    def apply_to_values(
        self, schema: Schema | None, values: list[Any]
    ) -> tuple[Schema | None, list[Any]] | None:
        """Each stage's :meth:`Transformation.apply_to_values` in turn.

        None as soon as one stage needs the records (or has a predicate: it tests records).
        """
        for stage in self.stages:
            if stage.predicate is not None:
                return None
            out = stage.transformation.apply_to_values(schema, values)
            if out is None:
                return None
            schema, values = out
        return schema, values

    def close(self) -> None:
        """Close every transform and predicate once."""
        seen: set[int] = set()
        for stage in self.stages:
            for plugin in (stage.transformation, stage.predicate):
                if plugin is not None and id(plugin) not in seen:
                    seen.add(id(plugin))
                    plugin.close()

    def __len__(self) -> int:
        return len(self.stages)


PluginResolver = Callable[[PluginType, str], type]
"""(kind, class name or alias) -> class; raises when nothing matches (see connectors.plugins)."""


def split_list(raw: Any) -> list[str]:
    """Kafka's LIST parsing: comma-separated, trimmed, empty items dropped."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def sub_config(config: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The keys under ``prefix`` with the prefix removed (Kafka's ``originalsWithPrefix``)."""
    return {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}


class _ChainBuilder:
    """Collects every error while building, so a bad config is reported in one go."""

    def __init__(self, config: Mapping[str, Any], resolve: PluginResolver) -> None:
        self.config = config
        self.resolve = resolve
        self.errors: dict[str, list[str]] = {}
        self.predicates: dict[str, Predicate[Any]] = {}
        self.created: list[Transformation[Any] | Predicate[Any]] = []

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def instantiate(self, kind: PluginType, section: str, alias: str) -> Any:
        prefix = f"{section}.{alias}."
        type_key = prefix + "type"
        class_name = self.config.get(type_key)
        if not class_name or not str(class_name).strip():
            self.error(type_key, f'Missing required configuration "{type_key}" which has no '
                       f"default value; set it to the {kind.value} class to use.")  # fmt: skip
            return None
        try:
            cls = self.resolve(kind, str(class_name).strip())
            plugin = cls()
            self.created.append(plugin)
            settings = sub_config(self.config, prefix)
            settings.pop("predicate", None)
            settings.pop("negate", None)
            plugin.configure(settings)
        except ConfigError as exc:
            for name, msgs in (exc.errors or {type_key: [str(exc)]}).items():
                key = name if name.startswith(section + ".") else prefix + name
                for msg in msgs:
                    self.error(key, msg)
            return None
        except ConnectError as exc:
            self.error(type_key, f"Invalid value {class_name} for configuration {type_key}: {exc}")
            return None
        return plugin

    def build_predicates(self) -> None:
        for alias in _unique(self, "predicates"):
            predicate = self.instantiate(PluginType.PREDICATE, "predicates", alias)
            if predicate is not None:
                self.predicates[alias] = predicate

    def build_stage(self, alias: str) -> TransformationStage[Any] | None:
        transformation = self.instantiate(PluginType.TRANSFORMATION, "transforms", alias)
        pred_key, negate_key = f"transforms.{alias}.predicate", f"transforms.{alias}.negate"
        pred_alias = str(self.config.get(pred_key) or "").strip() or None
        if pred_alias is not None and pred_alias not in split_list(self.config.get("predicates")):
            self.error(pred_key, f"Invalid value {pred_alias} for configuration {pred_key}: "
                       f"predicate {pred_alias!r} is not listed in 'predicates'; add it there "
                       f"and set predicates.{pred_alias}.type.")  # fmt: skip
        negate = _parse_negate(self, negate_key)
        if transformation is None:
            return None
        predicate = self.predicates.get(pred_alias) if pred_alias else None
        return TransformationStage(alias, transformation, predicate, negate)


def _unique(builder: _ChainBuilder, key: str) -> list[str]:
    aliases = split_list(builder.config.get(key))
    dupes = sorted({a for a in aliases if aliases.count(a) > 1})
    if dupes:
        builder.error(key, f"Duplicate alias provided: {', '.join(dupes)}; use each alias once.")
    return list(dict.fromkeys(aliases))


def _parse_negate(builder: _ChainBuilder, key: str) -> bool:
    raw = builder.config.get(key)
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    text = str(raw).strip().lower()
    if text not in ("true", "false"):
        builder.error(key, f"Invalid value {raw} for configuration {key}: "
                      "Expected value to be either true or false")  # fmt: skip
    return text == "true"


def build_transformation_chain(
    config: Mapping[str, Any], resolve: PluginResolver
) -> TransformationChain[Any]:
    """Build the chain a connector config declares (``transforms=a,b``, ``transforms.a.type``...).

    Pure apart from instantiating plugins through ``resolve`` (see
    ``connectors.plugins.build_chain`` for the default resolver). Raises one ConfigError
    naming every bad key; plugins created before the failure are closed.
    """
    builder = _ChainBuilder(config, resolve)
    builder.build_predicates()
    stages = [builder.build_stage(alias) for alias in _unique(builder, "transforms")]
    if builder.errors:
        for plugin in builder.created:
            plugin.close()
        raise ConfigError.from_errors(builder.errors, "Transformation configuration")
    return TransformationChain([s for s in stages if s is not None])
