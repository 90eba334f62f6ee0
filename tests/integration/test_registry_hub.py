"""The registry inside a real hub: Confluent's Python client, restarts, concurrency.

Every test runs `create_app` over a real log in a temp dir, served by uvicorn,
so the registry's only state is the `_schemas` topic on disk.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka.schema_registry import Schema as CSchema
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from connectors.api import Schema as ConnectSchema
from connectors.api import SchemaBuilder, Struct
from hub.api.app import ROUTER_MODULES
from hub.config import HubConfig
from hub.services import HubServices
from schemas.converters import AvroConverter, JsonSchemaConverter
from tests.fixtures.hub import running_services
from tests.unit.schemas import test_api

MODULES = tuple(dict.fromkeys((*ROUTER_MODULES, "hub.api.registry")))

USER_JSON = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "User",
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name"],
        "additionalProperties": False,
    }
)
USER_AVRO = json.dumps(
    {
        "type": "record",
        "name": "User",
        "namespace": "example",
        "fields": [{"name": "name", "type": "string"}, {"name": "age", "type": "int"}],
    }
)


@contextlib.contextmanager
def registry_hub(data_dir: Path) -> Iterator[str]:
    services = HubServices.open(HubConfig(data_dir=data_dir))
    try:
        with running_services(services, router_modules=MODULES) as url:
            yield url
    finally:
        services.close()


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with registry_hub(tmp_path / "hub") as base:
        yield base


@pytest.fixture
def client(url: str) -> Iterator[SchemaRegistryClient]:
    sr = SchemaRegistryClient({"url": url})
    yield sr
    sr.close()


def ctx(topic: str) -> SerializationContext:
    return SerializationContext(topic, MessageField.VALUE)


def test_json_serializer_round_trip(client: SchemaRegistryClient) -> None:
    ser = JSONSerializer(USER_JSON, client)
    de = JSONDeserializer(USER_JSON, schema_registry_client=client)
    data = ser({"name": "ada", "age": 36}, ctx("users"))
    assert data is not None and data[0] == 0
    schema_id = int.from_bytes(data[1:5], "big")
    assert de(data, ctx("users")) == {"name": "ada", "age": 36}
    latest = client.get_latest_version("users-value")
    assert latest.schema_id == schema_id and latest.schema.schema_type == "JSON"
    with pytest.raises(Exception, match="integer"):
        ser({"name": "ada", "age": "old"}, ctx("users"))


def test_avro_serializer_round_trip(client: SchemaRegistryClient) -> None:
    ser = AvroSerializer(client, USER_AVRO)
    de = AvroDeserializer(client)
    data = ser({"name": "bob", "age": 7}, ctx("people"))
    assert data is not None
    assert de(data, ctx("people")) == {"name": "bob", "age": 7}
    assert client.get_subjects() == ["people-value"]


def test_client_api_calls(client: SchemaRegistryClient) -> None:
    sid = client.register_schema("s", CSchema(USER_AVRO, "AVRO"))
    assert client.register_schema("t", CSchema(USER_AVRO, "AVRO")) == sid
    assert client.lookup_schema("s", CSchema(USER_AVRO, "AVRO")).version == 1
    assert client.get_schema(sid).schema_type == "AVRO"
    assert sorted(client.get_subjects_by_schema_id(sid)) == ["s", "t"]
    assert client.get_versions("s") == [1]
    assert client.get_compatibility() == "BACKWARD"
    client.set_compatibility("s", "FULL")
    assert client.get_compatibility("s") == "FULL"
    assert client.test_compatibility("s", CSchema(USER_AVRO, "AVRO")) is True
    assert client.delete_subject("t") == [1]
    assert client.delete_subject("t", permanent=True) == [1]
    assert "JSON" in client.get_schema_types()
    with pytest.raises(SchemaRegistryError) as err:
        client.get_version("nope", 1)
    assert err.value.error_code == 40401
    with pytest.raises(SchemaRegistryError) as err:
        client.register_schema("s", CSchema("{broken", "AVRO"))
    assert err.value.error_code == 42201


def test_restart_keeps_ids_and_versions(tmp_path: Path) -> None:
    schemas = [
        json.dumps({"type": "record", "name": "R", "fields": fields})
        for fields in (
            [{"name": "a", "type": "int"}],
            [{"name": "a", "type": "int"}, {"name": "b", "type": "int", "default": 0}],
        )
    ]
    with registry_hub(tmp_path / "hub") as url, httpx.Client(base_url=url) as http:
        ids = [http.post("/subjects/r/versions", json={"schema": s}).json()["id"] for s in schemas]
        http.post("/subjects/other/versions", json={"schema": schemas[1]})
        http.delete("/subjects/r/versions/1")
        http.put("/config/r", json={"compatibility": "FULL"})
        before = http.get("/subjects/r/versions", params={"deleted": "true"}).json()
    with registry_hub(tmp_path / "hub") as url, httpx.Client(base_url=url) as http:
        assert http.get("/subjects/r/versions", params={"deleted": "true"}).json() == before
        assert http.get("/subjects/r/versions").json() == [2]
        assert http.get("/subjects/other/versions/1").json()["id"] == ids[1]
        assert http.get("/config/r").json() == {"compatibilityLevel": "FULL"}
        assert json.loads(http.get(f"/schemas/ids/{ids[0]}").json()["schema"])["name"] == "R"
        new = json.dumps({"type": "record", "name": "R", "fields": []})
        assert http.post("/subjects/n/versions", json={"schema": new}).json()["id"] == 3


def test_concurrent_registration_over_http(url: str) -> None:
    def schema(i: int) -> str:
        return json.dumps({"type": "record", "name": f"T{i % 5}", "fields": []})

    results: list[tuple[str, int, int]] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        with httpx.Client(base_url=url) as http:
            for i in range(10):
                subject = f"sub{(n + i) % 3}"
                r = http.post(f"/subjects/{subject}/versions", json={"schema": schema(i)})
                assert r.status_code == 200, r.text
                with lock:
                    results.append((subject, i % 5, r.json()["id"]))

    httpx.put(f"{url}/config", json={"compatibility": "NONE"})  # any order of versions is fine
    run_threads(worker, 6)
    by_schema: dict[int, set[int]] = {}
    for _, schema_no, sid in results:
        by_schema.setdefault(schema_no, set()).add(sid)
    assert all(len(ids) == 1 for ids in by_schema.values()), by_schema
    assert len({next(iter(ids)) for ids in by_schema.values()}) == 5
    with httpx.Client(base_url=url) as http:
        for subject in ("sub0", "sub1", "sub2"):
            versions = http.get(f"/subjects/{subject}/versions").json()
            assert versions == list(range(1, len(versions) + 1))


def run_threads(target: Callable[[int], Any], count: int) -> None:
    errors: list[BaseException] = []

    def wrapped(n: int) -> None:
        try:
            target(n)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


API_TESTS = [
    fn
    for name, fn in vars(test_api).items()
    if name.startswith("test_") and list(inspect.signature(fn).parameters) == ["client"]
]


@pytest.mark.parametrize("api_test", API_TESTS, ids=[t.__name__ for t in API_TESTS])
def test_every_endpoint_on_the_hub(url: str, api_test: Callable[[httpx.Client], None]) -> None:
    with httpx.Client(base_url=url) as http:
        api_test(http)


def test_converters_interoperate_with_confluent_serdes(
    url: str, client: SchemaRegistryClient
) -> None:
    schema = (
        SchemaBuilder.struct()
        .name("example.User")
        .field("name", ConnectSchema.STRING_SCHEMA)
        .field("age", ConnectSchema.INT32_SCHEMA)
        .build()
    )
    value = Struct(schema, {"name": "eve", "age": 41})
    avro_conv, json_conv = AvroConverter(), JsonSchemaConverter()
    for conv in (avro_conv, json_conv):
        conv.configure({"schema.registry.url": url}, False)
    try:
        data = avro_conv.from_connect_data("a", schema, value)
        assert AvroDeserializer(client)(data, ctx("a")) == {"name": "eve", "age": 41}
        confluent = AvroSerializer(client, USER_AVRO)({"name": "bob", "age": 7}, ctx("b"))
        assert avro_conv.to_connect_data("b", confluent).value.to_dict() == {
            "name": "bob",
            "age": 7,
        }
        data = json_conv.from_connect_data("j", schema, value)
        de = JSONDeserializer(None, schema_registry_client=client)
        assert de(data, ctx("j")) == {"name": "eve", "age": 41}
        confluent = JSONSerializer(USER_JSON, client)({"name": "ada", "age": 36}, ctx("k"))
        back = json_conv.to_connect_data("k", confluent).value
        assert back.to_dict() == {"name": "ada", "age": 36}
    finally:
        avro_conv.close()
        json_conv.close()
