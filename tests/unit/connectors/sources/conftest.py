"""Fixtures of the source connector tests."""

from collections.abc import Iterator

import pytest

from connectors.api import SourceTask


@pytest.fixture
def tasks() -> Iterator[list[SourceTask]]:
    """A list the test appends the tasks it starts to; each is stopped at teardown."""
    started: list[SourceTask] = []
    yield started
    for task in started:
        task.stop()
