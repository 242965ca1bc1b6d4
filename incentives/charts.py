"""A small inline-SVG chart of a coefficient function (the rule editor, ui/4-rules.png): the draft solid, the
version in force dashed, closed dots at included edges and open dots at excluded ones. Pure: no Django."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from incentives.rules import Band

WIDTH, HEIGHT = 470, 128
LEFT, RIGHT, TOP, BOTTOM = 30, 12, 8, 20


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    lines: list[dict] = field(default_factory=list)  # x1 y1 x2 y2 cls
    dots: list[dict] = field(default_factory=list)  # cx cy filled cls
    x_ticks: list[dict] = field(default_factory=list)  # x label
    y_ticks: list[dict] = field(default_factory=list)  # y label
    axis: dict = field(default_factory=dict)


def band_chart(draft: Sequence[Band], current: Sequence[Band] | None = None) -> Chart:
    """Rates from 0 to 100% on x; coefficients from 0 to the largest value (rounded up to 0.5) on y."""
    everything = [*draft, *(current or ())]
    top = max((Fraction(v) for band in everything for v in (band.value_at_lower, band.value_at_upper or 0)),
              default=Fraction(1))  # fmt: skip
    y_max = Fraction(max(1, math.ceil(top * 2)), 2)
    chart = Chart()
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(rate: Fraction) -> float:
        return round(LEFT + float(min(rate, 1)) * plot_w, 1)

    def y(value: Fraction) -> float:
        return round(TOP + plot_h - float(value / y_max) * plot_h, 1)

    chart.axis = {"x1": LEFT, "x2": WIDTH - RIGHT, "y": TOP + plot_h, "top": TOP}
    steps = int(y_max * 2)
    for index in range(steps + 1):
        value = Fraction(index, 2)
        chart.y_ticks.append({"y": y(value), "label": f"{float(value):.1f}", "x": LEFT - 4, "gx2": WIDTH - RIGHT})
    edges = sorted({band.lower for band in everything} | {band.upper for band in everything if band.upper is not None}
                   | {Fraction(0), Fraction(1)})  # fmt: skip
    previous = None
    for edge in edges:
        if edge > 1 or (previous is not None and x(edge) - x(previous) < 22):
            continue
        chart.x_ticks.append({"x": x(edge), "label": f"{float(edge * 100):g}%", "y": HEIGHT - 5})
        previous = edge
    for bands, cls in (((current or ()), "old"), (draft, "new")):
        for band in bands:
            if band.lower > 1:
                continue
            low_v = Fraction(band.value_at_lower)
            high = Fraction(1) if band.upper is None or band.upper > 1 else band.upper
            high_v = band.value_at(high) if band.upper is not None else low_v
            if not band.is_point:
                chart.lines.append({"x1": x(band.lower), "y1": y(low_v), "x2": x(high), "y2": y(high_v), "cls": cls})
            chart.dots.append({"cx": x(band.lower), "cy": y(low_v), "filled": band.lower_inclusive, "cls": cls})
            if band.upper is not None and band.upper <= 1 and not band.is_point:
                chart.dots.append({"cx": x(high), "cy": y(high_v), "filled": band.upper_inclusive, "cls": cls})
    return chart
