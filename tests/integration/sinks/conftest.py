"""Fixtures of the sink tests: an Elasticsearch endpoint and Redis servers.

``es_url`` is the Elasticsearch-compatible test server (tests/fixtures/es_server.py), or a
real Elasticsearch when ``HUB_TEST_ELASTICSEARCH_URL`` is set (see tests/README.md); tests
that need fault injection ask for ``es_server`` and are skipped against a real cluster.
Every test writes to indexes with its own prefix (``es_prefix``), so a shared cluster works.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.fixtures.es_server import EsTestServer, running_es_server
from tests.fixtures.redis_cluster import RedisCluster, running_redis_cluster

REAL_ES = os.environ.get("HUB_TEST_ELASTICSEARCH_URL", "").strip()


@pytest.fixture
def es_server() -> Iterator[EsTestServer]:
    """The in-process test server (fault injection needs it)."""
    if REAL_ES:
        pytest.skip("needs the test server's fault injection (HUB_TEST_ELASTICSEARCH_URL is set)")
    with running_es_server() as server:
        yield server


@pytest.fixture
def es_url() -> Iterator[str]:
    """An Elasticsearch endpoint: the real one from the environment, else the test server."""
    if REAL_ES:
        yield REAL_ES
        return
    with running_es_server() as server:
        yield server.url


@pytest.fixture
def es_prefix() -> str:
    """A unique, lowercase topic/index prefix for one test."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def redis_cluster() -> Iterator[RedisCluster]:
    """A 3-master Redis Cluster shared by one module's tests."""
    with running_redis_cluster() as cluster:
        yield cluster
