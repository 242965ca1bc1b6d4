"""Coefficient bands (档位) — DOMAIN.md §7 BONUS and SALARY, and the band editor's checks (UI notes §4).

A band covers an interval of a rate (r, f or 续保率) with a closed (≤) or open (<) end on each side, and is
either a *step* (one value) or *linear* (exact interpolation between the value at each edge). A band set
should cover [0, +∞) exactly once; `band_problems` names every gap and overlap with a suggested fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from incentives.rules.amounts import as_fraction, format_coefficient, format_percent, format_plain

LINEAR = "linear"
STEP = "step"
BandMode = Literal["linear", "step"]


@dataclass(frozen=True)
class Band:
    lower: Fraction
    upper: Fraction | None  # None: no upper edge (+∞)
    value_at_lower: Decimal
    value_at_upper: Decimal | None = None  # linear bands only
    lower_inclusive: bool = True
    upper_inclusive: bool = False
    mode: BandMode = STEP

    def __post_init__(self) -> None:
        object.__setattr__(self, "lower", as_fraction(self.lower, what="档位下限"))
        if self.upper is not None:
            object.__setattr__(self, "upper", as_fraction(self.upper, what="档位上限"))
        object.__setattr__(self, "value_at_lower", _as_decimal(self.value_at_lower))
        if self.value_at_upper is not None:
            object.__setattr__(self, "value_at_upper", _as_decimal(self.value_at_upper))
        self._check()

    def _check(self) -> None:
        if self.mode not in (LINEAR, STEP):
            raise ValueError(f"档位模式只能是线性或阶梯：{self.mode!r}")
        if self.lower < 0:
            raise ValueError(f"档位下限不能小于 0：{format_percent(self.lower, places=4)}")
        if self.value_at_lower < 0 or (self.value_at_upper is not None and self.value_at_upper < 0):
            raise ValueError("档位系数不能为负数")
        if self.upper is not None:
            if self.upper < self.lower:
                raise ValueError(
                    f"档位上限 {format_percent(self.upper, places=4)} 小于下限 {format_percent(self.lower, places=4)}"
                )
            if self.upper == self.lower and not (self.lower_inclusive and self.upper_inclusive):
                raise ValueError(f"档位 {format_percent(self.lower, places=4)} 两端必须都含端点（≤ … ≤），否则为空")
        if self.mode == LINEAR:
            if self.upper is None or self.upper == self.lower:
                raise ValueError("线性档位需要一个大于下限的上限")
            if self.value_at_upper is None:
                raise ValueError("线性档位需要上限处的系数")
        elif self.value_at_upper is not None:
            raise ValueError("阶梯档位只有一个系数（不要填写上限处的系数）")

    @property
    def is_point(self) -> bool:
        return self.upper is not None and self.upper == self.lower

    def contains(self, rate: Fraction) -> bool:
        above_lower = rate >= self.lower if self.lower_inclusive else rate > self.lower
        if self.upper is None:
            return above_lower
        below_upper = rate <= self.upper if self.upper_inclusive else rate < self.upper
        return above_lower and below_upper

    def value_at(self, rate: Fraction) -> Fraction:
        """The exact coefficient at `rate` (the caller checks `contains`)."""
        low = Fraction(self.value_at_lower)
        if self.mode == STEP:
            return low
        assert self.upper is not None and self.value_at_upper is not None  # checked in __post_init__
        high = Fraction(self.value_at_upper)
        return low + (high - low) * (rate - self.lower) / (self.upper - self.lower)


@dataclass(frozen=True)
class BandHit:
    """Which band a rate fell in, and the exact coefficient there."""

    value: Fraction
    index: int  # 0-based position in the band list; messages say 第 index+1 档
    band: Band
    also_matching: tuple[int, ...] = ()  # further bands holding the rate: only when the set overlaps

    def describe(self, variable: str = "r") -> str:
        """'30% ≤ r < 60% 线性 0.4→0.7 = 0.627778' or 'r = 60% → 1.0'."""
        if self.band.mode == STEP:
            return describe_band(self.band, variable)
        return f"{describe_band(self.band, variable)} = {format_coefficient(self.value)}"


@dataclass(frozen=True)
class BandProblem:
    kind: Literal["gap", "overlap"]
    lower: Fraction
    lower_inclusive: bool
    upper: Fraction | None
    upper_inclusive: bool
    band_indices: tuple[int, ...]  # 0-based: the overlapping bands, or the neighbours of a gap
    message: str
    fix: str
    fixed_bands: tuple[Band, ...] | None = None  # the whole set with `fix` applied, for a one-click fix


def coefficient(rate: Fraction, bands: Sequence[Band]) -> BandHit:
    """The first band (in list order) that holds `rate`; ValueError when none does (a gap)."""
    exact = as_fraction(rate, what="比率")
    if exact < 0:
        raise ValueError(f"比率不能为负数：{format_percent(exact)}")
    matches = [index for index, band in enumerate(bands) if band.contains(exact)]
    if not matches:
        raise ValueError(f"{format_percent(exact, places=4)} 不落在任何档位内（档位有缺口）")
    first = matches[0]
    return BandHit(value=bands[first].value_at(exact), index=first, band=bands[first], also_matching=tuple(matches[1:]))


def interval_text(
    lower: Fraction, lower_inclusive: bool, upper: Fraction | None, upper_inclusive: bool, variable: str = "r"
) -> str:
    """'30% ≤ r < 60%', 'r = 60%', 'r > 70%', 'r < 30%' — the notation of DOMAIN.md §7."""
    if upper is not None and upper == lower:
        return f"{variable} = {_edge(lower)}"
    if upper is None:
        if lower == 0 and lower_inclusive:
            return f"{variable} ≥ 0%"
        return f"{variable} {'≥' if lower_inclusive else '>'} {_edge(lower)}"
    left = "" if lower == 0 and lower_inclusive else f"{_edge(lower)} {'≤' if lower_inclusive else '<'} "
    return f"{left}{variable} {'≤' if upper_inclusive else '<'} {_edge(upper)}"


def describe_band(band: Band, variable: str = "r") -> str:
    interval = interval_text(band.lower, band.lower_inclusive, band.upper, band.upper_inclusive, variable)
    return f"{interval} {_value_text(band)}"


def band_problems(
    bands: Sequence[Band], *, variable: str = "r", upper_bound: Fraction | None = None
) -> list[BandProblem]:
    """Every gap and overlap over [0, +∞) (or [0, upper_bound] when given), in order of the rate."""
    problems: list[BandProblem] = []
    for piece_group in _problem_groups(bands, upper_bound):
        first, last = piece_group[0], piece_group[-1]
        indices = first.covered_by
        lower, lower_inclusive = first.lower, first.is_point
        upper, upper_inclusive = last.upper, last.is_point
        interval = interval_text(lower, lower_inclusive, upper, upper_inclusive, variable)
        if not indices:
            neighbours = _gap_neighbours(bands, lower, upper)
            fix, fixed = _gap_fix(bands, lower, lower_inclusive, upper, upper_inclusive, neighbours, interval)
            problems.append(
                BandProblem(
                    kind="gap",
                    lower=lower,
                    lower_inclusive=lower_inclusive,
                    upper=upper,
                    upper_inclusive=upper_inclusive,
                    band_indices=neighbours,
                    message=f"缺口：{interval} 不属于任何档位",
                    fix=fix,
                    fixed_bands=fixed,
                )
            )
        else:
            numbers = "、".join(str(index + 1) for index in indices)
            values = " / ".join(_value_text(bands[index]).removeprefix("→ ") for index in indices)
            fix, fixed = _overlap_fix(bands, indices, lower, upper, interval)
            problems.append(
                BandProblem(
                    kind="overlap",
                    lower=lower,
                    lower_inclusive=lower_inclusive,
                    upper=upper,
                    upper_inclusive=upper_inclusive,
                    band_indices=indices,
                    message=f"重叠：{interval} 同时落入第 {numbers} 档（{values}）",
                    fix=fix,
                    fixed_bands=fixed,
                )
            )
    return problems


@dataclass(frozen=True)
class _Piece:
    """An elementary piece of [0, +∞) between band edges: a single edge point, or the open span to the next."""

    lower: Fraction
    upper: Fraction | None
    is_point: bool
    covered_by: tuple[int, ...]


def _problem_groups(bands: Sequence[Band], upper_bound: Fraction | None) -> list[list[_Piece]]:
    edges: set[Fraction] = {Fraction(0)}
    for band in bands:
        edges.add(band.lower)
        if band.upper is not None:
            edges.add(band.upper)
    if upper_bound is not None:
        upper_bound = as_fraction(upper_bound, what="检查范围上限")
        edges = {edge for edge in edges if edge <= upper_bound} | {upper_bound}
    ordered = sorted(edges)

    def covering(sample: Fraction) -> tuple[int, ...]:
        return tuple(index for index, band in enumerate(bands) if band.contains(sample))

    pieces: list[_Piece] = []
    for position, edge in enumerate(ordered):
        pieces.append(_Piece(edge, edge, True, covering(edge)))
        if upper_bound is not None and edge == upper_bound:
            break
        following = ordered[position + 1] if position + 1 < len(ordered) else None
        sample = edge + 1 if following is None else (edge + following) / 2
        pieces.append(_Piece(edge, following, False, covering(sample)))

    groups: list[list[_Piece]] = []
    for piece in pieces:
        if len(piece.covered_by) == 1:
            continue
        previous = groups[-1][-1] if groups else None
        adjacent = previous is not None and previous.upper == piece.lower and previous.is_point != piece.is_point
        if adjacent and previous is not None and previous.covered_by == piece.covered_by:
            groups[-1].append(piece)
        else:
            groups.append([piece])
    return groups


def _gap_neighbours(bands: Sequence[Band], lower: Fraction, upper: Fraction | None) -> tuple[int, ...]:
    left = [index for index, band in enumerate(bands) if band.upper is not None and band.upper == lower]
    right = [index for index, band in enumerate(bands) if upper is not None and band.lower == upper]
    return tuple(left[:1] + right[:1])


def _gap_fix(
    bands: Sequence[Band],
    lower: Fraction,
    lower_inclusive: bool,
    upper: Fraction | None,
    upper_inclusive: bool,
    neighbours: tuple[int, ...],
    interval: str,
) -> tuple[str, tuple[Band, ...] | None]:
    # Prefer stretching the band after the gap down to it, then the one before up to it; never a point band.
    for index in sorted(neighbours, key=lambda index: bands[index].lower != upper):
        band = bands[index]
        if band.is_point:
            continue
        changes = (
            {"lower": lower, "lower_inclusive": lower_inclusive}
            if band.lower == upper
            else {"upper": upper, "upper_inclusive": upper_inclusive}
        )
        fixed = _replaced(bands, index, **changes)
        if fixed is not None:
            return _change_text(index, band, fixed[index]), fixed
    return f"添加一档覆盖 {interval}", None


def _overlap_fix(
    bands: Sequence[Band], indices: tuple[int, ...], lower: Fraction, upper: Fraction | None, interval: str
) -> tuple[str, tuple[Band, ...] | None]:
    fallback = f"调整第 {'、'.join(str(index + 1) for index in indices)} 档的边界，使 {interval} 只落入一档"
    if len(indices) != 2:
        return fallback, None
    first, second = sorted(
        indices,
        key=lambda index: (
            bands[index].lower,
            not bands[index].lower_inclusive,
            bands[index].upper is None,
            bands[index].upper or 0,
        ),
    )
    earlier, later = bands[first], bands[second]
    if upper == lower:  # a single point in both: open one end at that point
        if later.lower == lower and later.lower_inclusive and not later.is_point:
            candidate = (second, {"lower_inclusive": False})
        elif earlier.upper == lower and earlier.upper_inclusive and not earlier.is_point:
            candidate = (first, {"upper_inclusive": False})
        else:
            return fallback, None
    elif earlier.upper is not None:  # a span: start the later band where the earlier one ends
        candidate = (second, {"lower": earlier.upper, "lower_inclusive": not earlier.upper_inclusive})
    else:
        return fallback, None
    index, changes = candidate
    fixed = _replaced(bands, index, **changes)
    if fixed is None:
        return fallback, None
    return _change_text(index, bands[index], fixed[index]), fixed


def _replaced(bands: Sequence[Band], index: int, **changes: object) -> tuple[Band, ...] | None:
    try:
        changed = replace(bands[index], **changes)  # type: ignore[arg-type]
    except ValueError:
        return None
    return (*bands[:index], changed, *bands[index + 1 :])


def _change_text(index: int, old: Band, new: Band) -> str:
    number = index + 1
    if new.lower != old.lower:
        return f"第 {number} 档下限改为 {_edge(new.lower)}（{'≤' if new.lower_inclusive else '<'}）"
    if new.lower_inclusive != old.lower_inclusive:
        return f"第 {number} 档下限应为“{'≤' if new.lower_inclusive else '<'}”"
    if new.upper is None:
        return f"第 {number} 档上限改为无上限"
    if new.upper != old.upper:
        return f"第 {number} 档上限改为 {_edge(new.upper)}（{'≤' if new.upper_inclusive else '<'}）"
    return f"第 {number} 档上限应为“{'≤' if new.upper_inclusive else '<'}”"


def _value_text(band: Band) -> str:
    if band.mode == LINEAR:
        return f"线性 {format_plain(band.value_at_lower)}→{format_plain(band.value_at_upper or 0)}"
    return f"→ {format_plain(band.value_at_lower)}"


def _edge(value: Fraction) -> str:
    return format_percent(value, places=4)


def _as_decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"档位系数必须是有限数：{value}")
        return value
    if isinstance(value, int | str) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"档位系数必须是 Decimal：{value!r}")
