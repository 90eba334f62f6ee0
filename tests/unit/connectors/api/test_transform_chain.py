from collections.abc import Mapping
from typing import Any

import pytest

from connectors.api import (
    ConfigError,
    ConnectRecord,
    PluginNotFoundError,
    PluginType,
    Predicate,
    SourceRecord,
    Transformation,
    build_transformation_chain,
)

CLOSED: list[str] = []


class Suffix(Transformation[ConnectRecord]):
    def configure(self, configs: Mapping[str, Any]) -> None:
        if "suffix" not in configs:
            raise ConfigError.from_errors({"suffix": ["Missing required configuration"]})
        self.suffix = configs["suffix"]
        self.seen = dict(configs)

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return record.new_record(topic=record.topic + self.suffix)

    def close(self) -> None:
        CLOSED.append("suffix")


class DropAll(Transformation[ConnectRecord]):
    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return None


class TopicIs(Predicate[ConnectRecord]):
    def configure(self, configs: Mapping[str, Any]) -> None:
        self.topic = configs["topic"]

    def test(self, record: ConnectRecord) -> bool:
        return bool(record.topic == self.topic)


PLUGINS: dict[tuple[PluginType, str], type] = {
    (PluginType.TRANSFORMATION, "Suffix"): Suffix,
    (PluginType.TRANSFORMATION, "DropAll"): DropAll,
    (PluginType.PREDICATE, "TopicIs"): TopicIs,
}


def resolve(kind: PluginType, name: str) -> type:
    try:
        return PLUGINS[(kind, name)]
    except KeyError:
        raise PluginNotFoundError(f"no {kind} called {name}") from None


def rec(topic: str) -> SourceRecord:
    return SourceRecord(topic, None, None, None, None, "v")


def test_transforms_run_in_declared_order() -> None:
    chain = build_transformation_chain(
        {
            "transforms": "a, b",
            "transforms.a.type": "Suffix",
            "transforms.a.suffix": "-1",
            "transforms.b.type": "Suffix",
            "transforms.b.suffix": "-2",
        },
        resolve,
    )
    assert len(chain) == 2
    out = chain.apply(rec("t"))
    assert out is not None and out.topic == "t-1-2"
    assert chain.stages[0].transformation.seen == {"type": "Suffix", "suffix": "-1"}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("negate", "topic", "expected"),
    [
        ("false", "orders", "orders-x"),
        ("false", "other", "other"),
        ("true", "orders", "orders"),
        ("true", "other", "other-x"),
    ],
)
def test_predicate_and_negate(negate: str, topic: str, expected: str) -> None:
    chain = build_transformation_chain(
        {
            "transforms": "a",
            "transforms.a.type": "Suffix",
            "transforms.a.suffix": "-x",
            "transforms.a.predicate": "p",
            "transforms.a.negate": negate,
            "predicates": "p",
            "predicates.p.type": "TopicIs",
            "predicates.p.topic": "orders",
        },
        resolve,
    )
    out = chain.apply(rec(topic))
    assert out is not None and out.topic == expected


def test_dropping_transform_ends_chain() -> None:
    chain = build_transformation_chain(
        {
            "transforms": "d,a",
            "transforms.d.type": "DropAll",
            "transforms.a.type": "Suffix",
            "transforms.a.suffix": "!",
        },
        resolve,
    )
    assert chain.apply(rec("t")) is None


def test_empty_config_gives_identity_chain() -> None:
    chain = build_transformation_chain({}, resolve)
    r = rec("t")
    assert chain.apply(r) is r


def test_every_error_reported_and_created_plugins_closed() -> None:
    CLOSED.clear()
    with pytest.raises(ConfigError) as exc:
        build_transformation_chain(
            {
                "transforms": "ok,notype,unknown,bad,ok",
                "transforms.ok.type": "Suffix",
                "transforms.ok.suffix": "1",
                "transforms.unknown.type": "Nope",
                "transforms.bad.type": "Suffix",
                "transforms.ok.predicate": "ghost",
                "transforms.ok.negate": "maybe",
            },
            resolve,
        )
    errors = exc.value.errors
    assert set(errors) == {
        "transforms",
        "transforms.notype.type",
        "transforms.unknown.type",
        "transforms.bad.suffix",
        "transforms.ok.predicate",
        "transforms.ok.negate",
    }
    assert "Duplicate alias" in errors["transforms"][0]
    assert "no transformation called Nope" in errors["transforms.unknown.type"][0]
    assert "predicates" in errors["transforms.ok.predicate"][0]
    assert CLOSED == ["suffix", "suffix"]


def test_chain_close_closes_each_plugin_once() -> None:
    CLOSED.clear()
    chain = build_transformation_chain(
        {"transforms": "a", "transforms.a.type": "Suffix", "transforms.a.suffix": "!"}, resolve
    )
    chain.close()
    assert CLOSED == ["suffix"]


def test_missing_predicate_type_reported() -> None:
    with pytest.raises(ConfigError) as exc:
        build_transformation_chain({"predicates": "p"}, resolve)
    assert "predicates.p.type" in exc.value.errors
