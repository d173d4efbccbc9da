"""Small SVG charts computed in Python (no chart library, no CDN, no script)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass
class Bar:
    label: str
    value: float  # percent, 0..100
    detail: str
    y: float = 0
    width: float = 0


@dataclass
class BarChart:
    bars: list[Bar]
    target: float
    height: float
    label_width: float = 170
    plot_width: float = 300

    @property
    def target_x(self) -> float:
        return self.label_width + self.plot_width * min(self.target, 100) / 100


def bar_chart(items: list[tuple[str, Decimal | float, str]], target: float) -> BarChart:
    bars = []
    for i, (label, value, detail) in enumerate(items):
        bar = Bar(label if len(label) <= 28 else label[:27] + "…", float(value), detail)
        bar.y = 10 + i * 28
        bar.width = 300 * min(float(value), 100) / 100
        bars.append(bar)
    return BarChart(bars, target, height=20 + 28 * len(bars))


@dataclass
class TrendPoint:
    label: str
    value: float
    x: float
    y: float


@dataclass
class TrendChart:
    points: list[TrendPoint]
    target_y: float
    width: float = 560
    height: float = 220

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def trend_chart(series: list[tuple[date, Decimal]], target: float) -> TrendChart:
    left, right, top, bottom = 40, 550, 15, 185
    step = (right - left) / max(len(series) - 1, 1)

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * min(max(value, 0), 100) / 100

    points = [TrendPoint(day.strftime("%m/%Y"), float(value), left + i * step, y_of(float(value)))
              for i, (day, value) in enumerate(series)]
    return TrendChart(points, y_of(target))
