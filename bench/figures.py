"""Benchmark figures in one shape, so that `bench/report.py` can put every benchmark in one table.

A benchmark prints its figures for people however it likes, then hands them over with `emit(...)`: one
line on stdout, `bench-figures: [...]` (JSON), which report.py finds in the output and parses. Each
figure carries its own target, so a new benchmark adds rows to the table without touching report.py
beyond naming the script there.

    emit(Figure("Week view at N=1,000 (SQLite)", 14.2, "ms", target=35))
    emit(Figure("Sync throughput (SQLite)", 31.0, "syncs/s", target=30, at_most=False))
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

PREFIX = "bench-figures: "


@dataclass(frozen=True)
class Figure:
    """One measured figure and the target it is held to."""

    name: str  # what was measured, and where: "Week view at N=1,000 (SQLite)"
    value: float
    unit: str  # "ms", "syncs/s", or "" for ratios and counts
    target: float
    at_most: bool = True  # the target is a ceiling; False: a floor
    # How the target reads when it is not a plain number, e.g. "≤ Zoom + 150 ms" (value and target
    # are then the whole time, Zoom's share included).
    target_label: str = ""

    @property
    def met(self) -> bool:
        return self.value <= self.target if self.at_most else self.value >= self.target

    @property
    def target_text(self) -> str:
        if self.target_label:
            return self.target_label
        return f"{'≤' if self.at_most else '≥'} {_number(self.target)}{_unit(self.unit)}"

    @property
    def value_text(self) -> str:
        return f"{_number(self.value)}{_unit(self.unit)}"


def emit(*figures: Figure) -> None:
    """Print the figures as the one line report.py reads (after the script's own output)."""
    print(PREFIX + json.dumps([asdict(figure) for figure in figures], ensure_ascii=False), flush=True)


def parse(output: str) -> list[Figure]:
    """Every figure a benchmark's stdout carries (an `emit` line may appear more than once)."""
    figures: list[Figure] = []
    for line in output.splitlines():
        if line.startswith(PREFIX):
            figures.extend(Figure(**fields) for fields in json.loads(line.removeprefix(PREFIX)))
    return figures


def _number(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def _unit(unit: str) -> str:
    return f" {unit}" if unit else ""
