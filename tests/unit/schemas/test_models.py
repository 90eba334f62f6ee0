"""Client-given levels and modes: case-insensitive, Confluent's error codes otherwise."""

import pytest

from schemas.errors import InvalidCompatibilityLevelError, InvalidModeError
from schemas.models import CompatibilityLevel, Mode


def test_levels_and_modes_parse_case_insensitively() -> None:
    assert CompatibilityLevel.parse("backward_transitive") is CompatibilityLevel.BACKWARD_TRANSITIVE
    assert Mode.parse("ReadOnly") is Mode.READONLY


def test_unknown_level_lists_the_valid_ones_with_42203() -> None:
    with pytest.raises(InvalidCompatibilityLevelError) as exc:
        CompatibilityLevel.parse("SIDEWAYS")
    assert exc.value.error_code == 42203
    assert exc.value.message == (
        "Invalid compatibility level 'SIDEWAYS'. Valid values are: NONE, BACKWARD, "
        "BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE."
    )


def test_unknown_or_non_string_mode_lists_the_valid_ones_with_42204() -> None:
    with pytest.raises(InvalidModeError) as exc:
        Mode.parse(3)
    assert exc.value.error_code == 42204
    assert exc.value.message == (
        "Invalid mode 3. Valid values are: READWRITE, READONLY, READONLY_OVERRIDE, IMPORT."
    )
