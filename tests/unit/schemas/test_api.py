"""Every registry endpoint and error code, over HTTP (in-memory store).

The same API runs on the real hub in tests/integration/test_registry_api.py.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
MEDIA = "application/vnd.schemaregistry.v1+json"


def avro(*fields: dict[str, Any], name: str = "User") -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields)})


V1 = avro({"name": "id", "type": "long"})
V2 = avro({"name": "id", "type": "long"}, {"name": "email", "type": "string", "default": ""})
BAD = avro({"name": "id", "type": "long"}, {"name": "age", "type": "int"})  # no default


def reg(client: httpx.Client, subject: str, schema: str, **extra: Any) -> Any:
    return client.post(
        f"/subjects/{subject}/versions", json={"schema": schema, **extra}, headers=CT
    )


def error(resp: Any, status: int, code: int) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error_code"] == code, body
    return str(body["message"])


def test_register_get_and_list(client: httpx.Client) -> None:
    r = reg(client, "users-value", V1)
    assert r.status_code == 200 and r.json() == {"id": 1}
    assert r.headers["content-type"] == MEDIA
    assert reg(client, "users-value", V2).json() == {"id": 2}
    assert client.get("/subjects").json() == ["users-value"]
    assert client.get("/subjects/users-value/versions").json() == [1, 2]
    latest = client.get("/subjects/users-value/versions/latest").json()
    assert latest["version"] == 2 and latest["id"] == 2 and latest["schemaType"] == "AVRO"
    assert json.loads(latest["schema"]) == json.loads(V2)
    assert client.get("/subjects/users-value/versions/-1").json()["version"] == 2
    raw = client.get("/subjects/users-value/versions/1/schema").json()
    assert raw == json.loads(V1)


def test_same_schema_same_id_across_subjects_and_idempotent(client: httpx.Client) -> None:
    pretty = json.dumps(json.loads(V1), indent=4)  # whitespace does not change identity
    assert reg(client, "a", V1).json() == {"id": 1}
    assert reg(client, "b", pretty).json() == {"id": 1}
    assert reg(client, "a", pretty).json() == {"id": 1}
    assert client.get("/subjects/a/versions").json() == [1]
    assert client.get("/schemas/ids/1/subjects").json() == ["a", "b"]
    assert client.get("/schemas/ids/1/versions").json() == [
        {"subject": "a", "version": 1},
        {"subject": "b", "version": 1},
    ]


def test_json_content_type_and_schema_type(client: httpx.Client) -> None:
    schema = json.dumps({"type": "object", "properties": {"x": {"type": "string"}}})
    r = client.post(
        "/subjects/j/versions",
        content=json.dumps({"schema": schema, "schemaType": "JSON"}),
        headers={"Content-Type": "application/json"},
    )
    assert r.json() == {"id": 1}
    got = client.get("/schemas/ids/1").json()
    assert got["schemaType"] == "JSON" and json.loads(got["schema"]) == json.loads(schema)
    assert client.get("/schemas/ids/1/schema").json() == json.loads(schema)
    assert sorted(client.get("/schemas/types").json()) == ["AVRO", "JSON"]


def test_lookup(client: httpx.Client) -> None:
    reg(client, "s", V1)
    found = client.post("/subjects/s", json={"schema": V1}, headers=CT).json()
    assert (found["subject"], found["version"], found["id"]) == ("s", 1, 1)
    error(client.post("/subjects/s", json={"schema": V2}), 404, 40403)
    error(client.post("/subjects/nope", json={"schema": V1}), 404, 40401)


def test_not_found_codes(client: httpx.Client) -> None:
    reg(client, "s", V1)
    assert "'nope'" in error(client.get("/subjects/nope/versions"), 404, 40401)
    error(client.get("/subjects/nope/versions/1"), 404, 40401)
    error(client.get("/subjects/s/versions/7"), 404, 40402)
    error(client.get("/subjects/s/versions/abc"), 422, 42202)
    error(client.get("/subjects/s/versions/0"), 422, 42202)
    error(client.get("/schemas/ids/99"), 404, 40403)
    error(client.get("/schemas/ids/99/subjects"), 404, 40403)
    error(client.get("/schemas/ids/1", params={"subject": "other"}), 404, 40403)


def test_invalid_schema_carries_parser_message(client: httpx.Client) -> None:
    msg = error(
        reg(client, "s", '{"type": "record", "name": "X", "fields": [{"name": "a"}]}'), 422, 42201
    )
    assert "Avro" in msg
    msg = error(reg(client, "s", "{not json"), 422, 42201)
    assert "not valid JSON" in msg
    msg = error(reg(client, "j", json.dumps({"type": "nonsense"}), schemaType="JSON"), 422, 42201)
    assert "nonsense" in msg
    error(reg(client, "s", V1, schemaType="XML"), 422, 42201)
    error(client.post("/subjects/s/versions", json={}), 422, 42201)
    error(client.post("/subjects/s/versions", content=b"{oops", headers=CT), 400, 400)


def test_incompatible_returns_409_with_reasons(client: httpx.Client) -> None:
    reg(client, "s", V1)
    msg = error(reg(client, "s", BAD), 409, 409)
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in msg and "age" in msg


def test_compatibility_endpoint(client: httpx.Client) -> None:
    body = {"schema": BAD}
    empty = client.post("/compatibility/subjects/s/versions/latest", json=body).json()
    assert empty == {"is_compatible": True}
    reg(client, "s", V1)
    assert client.post("/compatibility/subjects/s/versions/latest", json={"schema": V2}).json() == {
        "is_compatible": True
    }
    verbose = client.post(
        "/compatibility/subjects/s/versions/1", params={"verbose": "True"}, json=body
    ).json()
    assert verbose["is_compatible"] is False
    assert any("READER_FIELD_MISSING_DEFAULT_VALUE" in m for m in verbose["messages"])
    assert client.post("/compatibility/subjects/s/versions", json=body).json() == {
        "is_compatible": False
    }
    error(client.post("/compatibility/subjects/s/versions/9", json=body), 404, 40402)
    bad = client.post(
        "/compatibility/subjects/s/versions/latest",
        params={"verbose": "true"},
        json={"schema": "{"},
    )
    assert bad.json()["is_compatible"] is False and bad.json()["messages"]
    error(
        client.post("/compatibility/subjects/s/versions/latest", json={"schema": "{"}), 422, 42201
    )


def test_config(client: httpx.Client) -> None:
    assert client.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    assert client.put("/config", json={"compatibility": "full"}).json() == {"compatibility": "FULL"}
    assert client.get("/config").json() == {"compatibilityLevel": "FULL"}
    error(client.put("/config", json={"compatibility": "SIDEWAYS"}), 422, 42203)
    error(client.get("/config/s"), 404, 40408)
    got = client.get("/config/s", params={"defaultToGlobal": "true"}).json()
    assert got == {"compatibilityLevel": "FULL"}
    client.put("/config/s", json={"compatibility": "NONE"})
    assert client.get("/config/s").json() == {"compatibilityLevel": "NONE"}
    reg(client, "s", V1)
    assert reg(client, "s", BAD).status_code == 200  # NONE lets anything through
    assert client.delete("/config/s").json() == {"compatibilityLevel": "NONE"}
    error(client.get("/config/s"), 404, 40408)
    assert client.delete("/config").json() == {"compatibilityLevel": "FULL"}
    assert client.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    error(client.delete("/config/unknown"), 404, 40401)


def test_modes(client: httpx.Client) -> None:
    assert client.get("/mode").json() == {"mode": "READWRITE"}
    assert client.put("/mode", json={"mode": "READONLY"}).json() == {"mode": "READONLY"}
    assert "READWRITE" in error(reg(client, "s", V1), 422, 42205)
    error(client.put("/mode", json={"mode": "SOMETIMES"}), 422, 42204)
    client.put("/mode", json={"mode": "READWRITE"})
    reg(client, "s", V1)
    client.put("/mode/s", json={"mode": "READONLY"})
    assert client.get("/mode/s").json() == {"mode": "READONLY"}
    error(reg(client, "s", V2), 422, 42205)
    assert reg(client, "t", V2).status_code == 200
    error(client.get("/mode/t"), 404, 40409)
    assert client.get("/mode/t", params={"defaultToGlobal": "true"}).json() == {"mode": "READWRITE"}
    assert client.delete("/mode/s").json() == {"mode": "READONLY"}
    assert reg(client, "s", V2).status_code == 200


def test_import_mode_explicit_ids(client: httpx.Client) -> None:
    error(reg(client, "s", V1, id=100, version=3), 422, 42205)  # only in IMPORT mode
    assert client.put("/mode", json={"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    assert reg(client, "s", V1, id=100, version=3).json() == {"id": 100}
    assert client.get("/subjects/s/versions/3").json()["id"] == 100
    error(reg(client, "t", V2, id=100), 422, 42205)  # id taken by another schema
    client.put("/mode", json={"mode": "READWRITE"})
    assert reg(client, "u", V2).json() == {"id": 101}
    error(client.put("/mode", json={"mode": "IMPORT"}), 422, 42205)
    assert client.put("/mode", params={"force": "true"}, json={"mode": "IMPORT"}).status_code == 200


def test_soft_and_permanent_delete(client: httpx.Client) -> None:
    reg(client, "s", V1)
    reg(client, "s", V2)
    error(client.delete("/subjects/s/versions/1", params={"permanent": "true"}), 404, 40407)
    assert client.delete("/subjects/s/versions/1").json() == 1
    error(client.delete("/subjects/s/versions/1"), 404, 40406)
    assert client.get("/subjects/s/versions").json() == [2]
    assert client.get("/subjects/s/versions", params={"deleted": "True"}).json() == [1, 2]
    error(client.get("/subjects/s/versions/1"), 404, 40402)
    assert client.get("/subjects/s/versions/1", params={"deleted": "true"}).json()["id"] == 1
    assert client.get("/schemas/ids/1").status_code == 200  # old data stays readable
    assert client.delete("/subjects/s/versions/1", params={"permanent": "true"}).json() == 1
    error(client.delete("/subjects/s", params={"permanent": "true"}), 404, 40405)
    assert client.delete("/subjects/s").json() == [2]
    error(client.delete("/subjects/s"), 404, 40404)
    assert client.get("/subjects").json() == []
    assert client.get("/subjects", params={"deleted": "true"}).json() == ["s"]
    assert client.delete("/subjects/s", params={"permanent": "true"}).json() == [2]
    assert client.get("/subjects", params={"deleted": "true"}).json() == []
    error(client.delete("/subjects/s"), 404, 40401)
    error(client.delete("/subjects/s/versions/1"), 404, 40401)
    error(client.get("/schemas/ids/2"), 404, 40403)
    assert reg(client, "s", V1).json() == {"id": 1}  # the same schema keeps its id
    assert client.get("/subjects/s/versions").json() == [1]


def test_deleted_versions_leave_compat_checks_and_latest(client: httpx.Client) -> None:
    reg(client, "s", V1)
    reg(client, "s", V2)
    client.delete("/subjects/s/versions/2")
    assert client.get("/subjects/s/versions/latest").json()["version"] == 1
    assert reg(client, "s", V2).json() == {"id": 2}  # re-registering makes a new version
    assert client.get("/subjects/s/versions").json() == [1, 3]


def test_references_json_schema(client: httpx.Client) -> None:
    address = json.dumps({"type": "object", "properties": {"city": {"type": "string"}}})
    reg(client, "address", address, schemaType="JSON")
    person = json.dumps({"type": "object", "properties": {"home": {"$ref": "address.json"}}})
    refs = [{"name": "address.json", "subject": "address", "version": 1}]
    r = reg(client, "person", person, schemaType="JSON", references=refs)
    assert r.json() == {"id": 2}
    got = client.get("/subjects/person/versions/1").json()
    assert got["references"] == refs
    assert client.get("/subjects/address/versions/1/referencedby").json() == [2]
    error(client.delete("/subjects/address/versions/1"), 422, 42206)
    dangling = [{"name": "x.json", "subject": "missing", "version": 1}]
    error(reg(client, "p2", person, schemaType="JSON", references=dangling), 422, 42201)


def test_references_avro_named_type(client: httpx.Client) -> None:
    addr = json.dumps(
        {
            "type": "record",
            "name": "Address",
            "namespace": "ex",
            "fields": [{"name": "city", "type": "string"}],
        }
    )
    reg(client, "addr", addr)
    user = json.dumps(
        {
            "type": "record",
            "name": "User",
            "namespace": "ex",
            "fields": [{"name": "home", "type": "ex.Address"}],
        }
    )
    refs = [{"name": "ex.Address", "subject": "addr", "version": 1}]
    assert reg(client, "user", user, references=refs).json() == {"id": 2}
    error(reg(client, "user2", user), 422, 42201)  # without the reference it does not parse


def test_client_quirks(client: httpx.Client) -> None:
    reg(client, "s1", V1)
    params = {"deleted": "False", "deleted_only": "False", "offset": "0", "limit": "-1"}
    assert client.get("/subjects", params=params).json() == ["s1"]
    assert client.get("/subjects", params={"subjectPrefix": "x"}).json() == []
    assert client.get("/associations/resources/-/topic").json() == []


def test_store_failure_is_50001(client: httpx.Client, registry: Any, monkeypatch: Any) -> None:
    from schemas.errors import StoreError

    def broken(records: Any) -> list[int]:
        raise StoreError("Could not write to the _schemas topic: disk full. Check the data dir.")

    monkeypatch.setattr(registry._store, "append", broken)
    assert "disk full" in error(reg(client, "s", V1), 500, 50001)


def test_explicit_id_must_be_an_integer(client: httpx.Client) -> None:
    client.put("/mode", json={"mode": "IMPORT"})
    error(reg(client, "s", V1, id="seven"), 400, 400)


def test_paging_schema_listing_and_contexts(client: httpx.Client) -> None:
    for subject in ("a", "b", "c"):
        reg(client, subject, V1)
    reg(client, "a", V2)
    assert client.get("/subjects", params={"offset": 1, "limit": 1}).json() == ["b"]
    assert client.get("/subjects/a/versions", params={"offset": 1}).json() == [2]
    error(client.get("/subjects", params={"limit": "x"}), 400, 400)
    listed = client.get("/schemas").json()
    assert [(s["subject"], s["version"], s["id"]) for s in listed] == [
        ("a", 1, 1),
        ("a", 2, 2),
        ("b", 1, 1),
        ("c", 1, 1),
    ]
    latest = client.get("/schemas", params={"latestOnly": "true", "subjectPrefix": "a"}).json()
    assert [(s["subject"], s["version"]) for s in latest] == [("a", 2)]
    assert client.get("/contexts").json() == ["."]


def test_readonly_refuses_deletes_and_config_changes(client: httpx.Client) -> None:
    reg(client, "s", V1)
    client.put("/mode", json={"mode": "READONLY"})
    error(client.delete("/subjects/s"), 422, 42205)
    error(client.delete("/subjects/s/versions/1"), 422, 42205)
    error(client.put("/config/s", json={"compatibility": "NONE"}), 422, 42205)
    assert client.put("/mode", json={"mode": "READWRITE"}).status_code == 200
    assert client.delete("/subjects/s").json() == [1]


def test_equivalent_avro_spellings_share_an_id(client: httpx.Client) -> None:
    short = avro(
        {"name": "a", "type": "int"}, {"name": "l", "type": {"type": "array", "items": "int"}}
    )
    long = avro(
        {"name": "a", "type": {"type": "int"}},
        {"name": "l", "type": {"type": "array", "items": {"type": "int"}}},
    )
    assert reg(client, "s", short).json() == reg(client, "t", long).json() == {"id": 1}
    assert reg(client, "p", '"string"').json() == reg(client, "q", '{"type": "string"}').json()
