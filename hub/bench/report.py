"""The benchmark's results: per-run samples, medians, targets and the printed table.

Kept apart from the code that measures so the table's shape (and the JSON the
CLI can write) do not change when a measurement does.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from hub.bench.machine import MachineInfo


@dataclass
class Figure:
    """One measured quantity, sampled once per run; the median is what is reported."""

    name: str
    unit: str
    samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        """Median of the runs: robust against one run disturbed by a neighbour."""
        return statistics.median(self.samples) if self.samples else float("nan")


@dataclass(frozen=True)
class Target:
    """A goal from the issue: ``figure`` must be ``>=`` (or ``<``) ``threshold``."""

    figure: str
    threshold: float
    at_least: bool = True
    label: str = ""

    def met_by(self, value: float) -> bool:
        return value >= self.threshold if self.at_least else value < self.threshold

    def describe(self) -> str:
        op = ">=" if self.at_least else "<"
        return self.label or f"{op} {format_number(self.threshold)}"


@dataclass
class BenchReport:
    """Everything one ``run()`` measured, with the targets it was judged against."""

    title: str
    machine: MachineInfo
    parameters: dict[str, Any]
    durability: list[str]
    figures: dict[str, Figure] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)

    def figure(self, name: str, unit: str, note: str = "") -> Figure:
        """Return the figure called ``name``, creating it on first use."""
        if name not in self.figures:
            self.figures[name] = Figure(name, unit, note=note)
        return self.figures[name]

    def add(self, name: str, unit: str, value: float, note: str = "") -> None:
        """Record one run's sample of a figure."""
        self.figure(name, unit, note).samples.append(value)

    def verdicts(self) -> list[tuple[Target, float, bool]]:
        """Each target with the median it was judged on; targets never measured are left out."""
        out = []
        for target in self.targets:
            fig = self.figures.get(target.figure)
            if fig is None or not fig.samples:
                continue
            out.append((target, fig.median, target.met_by(fig.median)))
        return out

    @property
    def all_passed(self) -> bool:
        """True when every target that was measured was met."""
        return all(ok for _, _, ok in self.verdicts())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy, for ``--json`` and for comparing runs over time."""
        return {
            "title": self.title,
            "machine": self.machine.to_dict(),
            "parameters": self.parameters,
            "durability": self.durability,
            "figures": {
                f.name: {"unit": f.unit, "median": f.median, "samples": f.samples, "note": f.note}
                for f in self.figures.values()
            },
            "targets": [
                {"figure": t.figure, "target": t.describe(), "median": value, "passed": ok}
                for t, value, ok in self.verdicts()
            ],
            "all_passed": self.all_passed,
        }

    def format_table(self) -> str:
        """The human-readable report: header, one row per figure, verdict column."""
        verdict = {t.figure: (t, ok) for t, _, ok in self.verdicts()}
        rows = [("figure", "median", "unit", "runs", "target", "result")]
        for fig in self.figures.values():
            target, ok = verdict.get(fig.name, (None, None))
            rows.append(
                (
                    fig.name,
                    format_number(fig.median),
                    fig.unit,
                    " ".join(format_number(s) for s in fig.samples),
                    target.describe() if target else "",
                    "" if ok is None else ("PASS" if ok else "MISS"),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [self.title, *self.machine.describe_lines(), *self.durability, ""]
        for i, row in enumerate(rows):
            cells = [
                c.rjust(w) if 0 < j < 4 else c.ljust(w)
                for j, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  ".join(cells).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        notes = [f"  {f.name}: {f.note}" for f in self.figures.values() if f.note]
        if notes:
            lines += ["", "notes:", *notes]
        passed = sum(ok for _, _, ok in self.verdicts())
        lines += ["", f"targets met: {passed}/{len(self.verdicts())}"]
        return "\n".join(lines) + "\n"


def markdown_table(report: BenchReport) -> str:
    """The figures as a markdown table, for docs/performance.md."""
    verdict = {t.figure: (t, ok) for t, _, ok in report.verdicts()}
    lines = [
        "| figure | median | unit | runs | target | result |",
        "|---|---:|---|---|---|---|",
    ]
    for fig in report.figures.values():
        target, ok = verdict.get(fig.name, (None, None))
        cells = [
            fig.name,
            format_number(fig.median),
            fig.unit,
            " / ".join(format_number(s) for s in fig.samples),
            target.describe() if target else "",
            "" if ok is None else ("**PASS**" if ok else "**MISS**"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def format_number(value: float) -> str:
    """Readable at a glance: thousands separators for big numbers, 2-3 significant digits else."""
    if value != value:  # NaN: nothing measured
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
