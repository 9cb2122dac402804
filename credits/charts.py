"""Geometry of the Quotas page's SVG graphs, computed here so the template only draws."""

from dataclasses import dataclass

from django.utils.formats import date_format

from .selectors import QuotaSummary, UsageMonth

BAR_WIDTH = 600  # the SVG's viewBox units
HISTORY_HEIGHT = 160


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    x: float
    width: float
    css_class: str


@dataclass(frozen=True)
class HistoryBar:
    label: str
    x: float
    monthly_y: float
    monthly_height: float
    provision_y: float
    provision_height: float
    monthly_used: int
    provision_used: int


def quota_segments(summary: QuotaSummary, labels: dict[str, str]) -> list[Segment]:
    """The monthly allowance as one bar: used, held, remaining (widths proportional)."""
    values = [("used", summary.used), ("held", summary.held), ("remaining", summary.remaining)]
    total = sum(value for _key, value in values) or 1
    segments, x = [], 0.0
    for key, value in values:
        width = BAR_WIDTH * value / total
        segments.append(Segment(labels[key], value, round(x, 2), round(width, 2), f"seg-{key}"))
        x += width
    return segments


def history_bars(history: list[UsageMonth]) -> list[HistoryBar]:
    """One stacked bar per period: monthly quota used below, provision used on top."""
    peak = max((month.total for month in history), default=0) or 1
    slot = BAR_WIDTH / max(len(history), 1)
    bars = []
    for index, month in enumerate(history):
        monthly_h = HISTORY_HEIGHT * month.monthly_used / peak
        provision_h = HISTORY_HEIGHT * month.provision_used / peak
        bars.append(
            HistoryBar(
                label=date_format(month.period_start, "M y"),
                x=round(index * slot + slot * 0.15, 2),
                monthly_y=round(HISTORY_HEIGHT - monthly_h, 2),
                monthly_height=round(monthly_h, 2),
                provision_y=round(HISTORY_HEIGHT - monthly_h - provision_h, 2),
                provision_height=round(provision_h, 2),
                monthly_used=month.monthly_used,
                provision_used=month.provision_used,
            )
        )
    return bars
