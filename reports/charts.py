"""Geometry of the dashboard's six charts, drawn as inline SVG by the templates (no JS, no CDN).

Each function turns selector figures into plain shapes (coordinates and labels) and the table that the chart's
"查看数据" shows, so the picture and the numbers come from the same values.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from reports.rates import format_points, format_rate, percent_number
from reports.selectors.figures import (
    CATEGORIES,
    CATEGORY_LABELS,
    DISCOUNT_BUCKET_LABELS,
    DISCOUNT_DEVIATION_POINTS,
    DISCOUNT_TARGET_SHARE,
    REASONS,
    BranchMonth,
)
from reports.selectors.outlook import RENEWAL_RATE_TARGET, Expiries, Trend

EXCLUSION_CODES = {"VEHICLE_SOLD", "VEHICLE_SCRAPPED", "MOVED_AWAY"}


def month_tick(month: date, first: bool) -> str:
    return f"{month:%Y-%m}" if first or month.month == 1 else f"{month:%m}"


@dataclass
class Line:
    name: str
    path: str
    css: str
    label_x: float = 0
    label_y: float = 0
    label: str = ""
    dots: list[dict] = field(default_factory=list)


def trend_chart(trend: Trend, basis: str) -> dict:
    width, height, left, right, top, bottom = 560, 236, 40, 120, 14, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    accent = trend.division or (trend.branches[0] if len(trend.branches) == 1 else None)
    greys = [series for series in trend.branches if series is not accent]
    values = [percent_number(r) for s in [*greys, *([accent] if accent else [])] for r in s.rates(basis)]
    values = [v * 100 for v in values if v is not None] + [float(RENEWAL_RATE_TARGET * 100)]
    low = max(0, math.floor((min(values) - 5) / 5) * 5)
    high = min(100, math.ceil((max(values) + 5) / 5) * 5)
    step = 5 if high - low <= 30 else (10 if high - low <= 60 else 20)
    count = len(trend.months)

    def x(index: int) -> float:
        return round(left + (plot_w * index / max(count - 1, 1)), 1)

    def y(percent: float) -> float:
        return round(top + plot_h * (1 - (percent - low) / max(high - low, 1)), 1)

    def line(series, css: str) -> Line:
        parts, dots, last = [], [], None
        pen_up = True
        for index, (rate, counts) in enumerate(zip(series.rates(basis), series.points, strict=True)):
            if rate is None:
                pen_up = True
                continue
            px, py = x(index), y(float(rate) * 100)
            parts.append(f"{'M' if pen_up else 'L'}{px},{py}")
            pen_up = False
            last = (px, py, rate)
            tip = (
                f"{trend.months[index]:%Y-%m} · {series.name} {format_rate(rate)}"
                f"（应续 {counts.due:,} · 可续 {counts.renewable:,} · 续回 {counts.renewed:,}）"
            )
            dots.append({"x": px, "y": py, "title": tip})
        item = Line(series.name, " ".join(parts), css, dots=dots)
        if last:
            item.label_x, item.label_y, item.label = last[0] + 6, last[1] + 4, f"{series.name} {format_rate(last[2])}"
        return item

    lines = [line(series, "trend-branch") for series in greys]
    main = line(accent, "trend-main") if accent else None
    _spread_labels([*lines, *([main] if main else [])], minimum=13)
    ticks = [{"y": y(value), "label": f"{value}%"} for value in range(low, high + 1, step)]
    months = [{"x": x(i), "label": month_tick(m, i == 0)} for i, m in enumerate(trend.months)]
    target_y = y(float(RENEWAL_RATE_TARGET * 100))
    table = [
        {
            "month": f"{m:%Y-%m}",
            "cells": [format_rate(s.rates(basis)[i]) for s in [*([accent] if accent else []), *greys]],
        }
        for i, m in enumerate(trend.months)
    ]
    return {
        "width": width, "height": height, "left": left, "plot_right": left + plot_w, "bottom": top + plot_h,
        "ticks": ticks, "months": months, "lines": lines, "main": main, "target_y": target_y,
        "target_label": f"目标 {RENEWAL_RATE_TARGET * 100}%", "table": table,
        "columns": [s.name for s in [*([accent] if accent else []), *greys]],
    }  # fmt: skip


def _spread_labels(lines: list[Line], *, minimum: float) -> None:
    labelled = sorted((line for line in lines if line.label), key=lambda line: line.label_y)
    for previous, current in itertools.pairwise(labelled):
        if current.label_y - previous.label_y < minimum:
            current.label_y = round(previous.label_y + minimum, 1)


def category_rows(row: BranchMonth) -> list[dict]:
    rows = []
    for category in CATEGORIES:
        figures = row.categories[category]
        target_share = Fraction(figures.target, figures.due) if figures.due else figures.percent
        rows.append({
            "category": category, "label": f"{category} · {CATEGORY_LABELS[category]}", "due": figures.due,
            "renewed": figures.renewed, "target": figures.target, "gap": figures.gap, "rate": format_rate(figures.rate),
            "bar": _width(figures.rate), "tick": _width(min(target_share, Fraction(1))),
            "source": "各门店目标之和" if row.is_division else figures.target_source,
            "percent": f"{figures.percent * 100}%",
        })  # fmt: skip
    return rows


def _width(rate: Fraction | None, scale: float = 300) -> float:
    return 0 if rate is None else round(float(min(rate, Fraction(1))) * scale, 1)


def reason_rows(row: BranchMonth) -> list[dict]:
    cohort = row.cohort
    shares = {reason.value: cohort.reason_share(reason.value) for reason in REASONS}
    biggest = max((share for share in shares.values() if share), default=Fraction(1))
    rows = []
    for reason in sorted(REASONS, key=lambda r: -cohort.reasons.get(r.value, 0)):
        share = shares[reason.value]
        rows.append({
            "code": reason.value, "label": reason.label.rstrip("*"), "excluded": reason.value in EXCLUSION_CODES,
            "count": cohort.reasons.get(reason.value, 0), "share": format_rate(share),
            "bar": _width(share / biggest if share else None, 160),
        })  # fmt: skip
    return rows


def channel_rows(rows: list[BranchMonth]) -> list[dict]:
    result = []
    for row in rows:
        sales = row.sales
        store = _width(sales.store_share, 260)
        result.append({
            "name": row.name, "store": sales.store, "telesales": sales.telesales, "total": sales.total,
            "store_w": store, "tele_w": round(260 - store, 1) if sales.total else 0,
            "store_share": format_rate(sales.store_share), "tele_share": format_rate(sales.telesales_share),
            "division": row.is_division,
        })  # fmt: skip
    return result


def discount_chart(row: BranchMonth) -> dict:
    width, height, left, top, bottom = 440, 210, 36, 16, 44
    plot_h = height - top - bottom
    mix = row.mix
    shares = [mix.share(index) for index in range(len(DISCOUNT_BUCKET_LABELS))]
    high = max([Fraction(2, 5), *[share for share in shares if share is not None]])
    high = Fraction(math.ceil(high * 10), 10)

    def y(share: Fraction) -> float:
        return round(top + plot_h * float(1 - share / high), 1)

    slot = (width - left - 10) / len(shares)
    bars = []
    for index, share in enumerate(shares):
        deviation = mix.deviation_points(index)
        css = "mix-normal"
        off = deviation is not None and abs(deviation) > DISCOUNT_DEVIATION_POINTS
        if deviation is not None and deviation > DISCOUNT_DEVIATION_POINTS:
            css = "mix-high"
        elif deviation is not None and deviation < -DISCOUNT_DEVIATION_POINTS:
            css = "mix-low"
        top_y = y(share or Fraction(0))
        bars.append({
            "x": round(left + slot * index + slot * 0.22, 1), "w": round(slot * 0.56, 1), "y": top_y,
            "h": round(top + plot_h - top_y, 1), "cx": round(left + slot * (index + 0.5), 1), "css": css,
            "share": format_rate(share), "deviation": format_points(deviation), "label": DISCOUNT_BUCKET_LABELS[index],
            "count": mix.buckets[index], "off": off,
        })  # fmt: skip
    ticks = [{"y": y(Fraction(p, 100)), "label": f"{p}%"} for p in range(0, int(high * 100) + 1, 10)]
    return {
        "width": width, "height": height, "left": left, "right": width - 10, "base": top + plot_h, "bars": bars,
        "ticks": ticks, "target_y": y(DISCOUNT_TARGET_SHARE), "total": mix.total, "no_quote": mix.no_quote,
    }  # fmt: skip


def nice_step(rough: float) -> int:
    """The smallest 1, 2, 2.5 or 5 × 10^k (at least 1) that is ≥ rough: readable axis steps."""
    magnitude = 10 ** max(math.floor(math.log10(max(rough, 1))), 0)
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= rough and float(step).is_integer():
            return int(step)
    return int(10 * magnitude)


def expiry_chart(expiries: Expiries) -> dict:
    width, height, left, top, bottom = 560, 220, 44, 18, 24
    plot_h = height - top - bottom
    totals = [expiries.total(month) for month in expiries.months]
    step = nice_step(max([*totals, 1]) / 3)
    high = step * math.ceil(max([*totals, 1]) / step)
    slot = (width - left - 8) / len(expiries.months)
    columns = []
    for index, month in enumerate(expiries.months):
        x = round(left + slot * index + slot * 0.18, 1)
        w = round(slot * 0.64, 1)
        base = top + plot_h
        segments = []
        for category in CATEGORIES:
            value = expiries.counts[month][category]
            h = round(plot_h * value / high, 1)
            segments.append({"y": round(base - h, 1), "h": h, "css": f"cat-{category}", "value": value})
            base -= h
        columns.append({
            "x": x, "w": w, "cx": round(x + w / 2, 1), "segments": segments, "total": totals[index],
            "top": round(top + plot_h - plot_h * totals[index] / high, 1), "label": month_tick(month, index == 0),
            "month": f"{month:%Y-%m}", "next": index == 0, "counts": [expiries.counts[month][c] for c in CATEGORIES],
        })  # fmt: skip
    first = columns[0]
    outline_top = first["top"] - 16
    outline = {"x": round(first["x"] - 3, 1), "y": round(outline_top, 1), "w": round(first["w"] + 6, 1),
               "h": round(top + plot_h + 3 - outline_top, 1)}  # fmt: skip
    ticks = [
        {"y": round(top + plot_h * (1 - value / high), 1), "label": f"{value:,}"} for value in range(0, high + 1, step)
    ]
    return {"width": width, "height": height, "left": left, "right": width - 8, "base": top + plot_h,
            "columns": columns, "ticks": ticks, "top": top, "outline": outline}  # fmt: skip
