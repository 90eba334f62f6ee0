"""Shared helpers of the compatibility rule-table tests."""

from __future__ import annotations

import json
from typing import Any

from schemas.canonical import parse
from schemas.compatibility import check
from schemas.models import CompatibilityLevel, Schema, SchemaType

LEVELS = list(CompatibilityLevel)


def expected(level: CompatibilityLevel, backward_ok: bool, forward_ok: bool) -> bool:
    """Whether a one-step change passes ``level`` given its two directional verdicts."""
    if level is CompatibilityLevel.NONE:
        return True
    return (backward_ok or not level.backward) and (forward_ok or not level.forward)


def reasons(level: CompatibilityLevel, kind: SchemaType, old: Any, new: Any) -> list[str]:
    parsed_old = parse(Schema(json.dumps(old), kind))
    parsed_new = parse(Schema(json.dumps(new), kind))
    return check(level, parsed_new, [(1, parsed_old)])
