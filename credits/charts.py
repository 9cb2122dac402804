"""Geometry of the Quotas page's SVG graphs, computed here so the template only draws.

Every number that goes into SVG is a string made here with "." as the decimal mark
(`_n`): SVG and CSS never take a localised "114,0", which would leave the chart blank
in French, Dutch or German.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.formats import date_format

from .selectors import MemberUsageTable, QuotaSummary, UsageMonth

BAR_WIDTH = 600  # the SVG's viewBox units
AXIS_WIDTH = 50  # left of the history bars: the value axis and its labels
HISTORY_HEIGHT = 160


def _n(value: float) -> str:
    """A coordinate for SVG: always a dot, never the locale's decimal mark."""
    return repr(round(float(value), 2))


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    x: str
    width: str
    css_class: str
    y: str = "0"


@dataclass(frozen=True)
class HistoryBar:
    label: str
    x: str
    monthly_y: str
    monthly_height: str
    provision_y: str
    provision_height: str
    monthly_used: int
    provision_used: int
    label_x: str


@dataclass(frozen=True)
class Tick:
    value: int
    y: str


def quota_segments(summary: QuotaSummary, labels: dict[str, str]) -> list[Segment]:
    """The monthly quota as one bar (used, held, remaining) and provision as a second bar beside it.

    Both bars share one scale, the larger of the two totals, so that 7 of provision next
    to a quota of 100 looks like what it is. A segment carries its bar's `y` in its class.
    """
    quota = [("used", summary.used), ("held", summary.held), ("remaining", summary.remaining)]
    provision = [("held", summary.provision_held), ("provision", summary.provision_balance)]
    scale = max(sum(v for _k, v in quota), sum(v for _k, v in provision), 1)
    segments = []
    for row, values in ((0, quota), (1, provision)):
        x = 0.0
        for key, value in values:
            width = BAR_WIDTH * value / scale
            if value:
                segments.append(Segment(labels[key], value, _n(x), _n(width), f"seg-{key}", str(row * 50)))
            x += width
    return segments


def nice_ceiling(peak: int) -> int:
    """The smallest 1, 2 or 5 x 10^n at or above `peak` (at least 1): the top of the value axis."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= peak:
                return step * scale
        scale *= 10


def value_ticks(history: list[UsageMonth]) -> list[Tick]:
    """0, half and the top of the axis, with their heights."""
    top = nice_ceiling(max((month.total for month in history), default=0))
    values = sorted({0, top // 2, top}) if top >= 2 else [0, top]
    return [Tick(value, _n(HISTORY_HEIGHT - HISTORY_HEIGHT * value / top)) for value in values]


def months_since(history: list[UsageMonth], joined: dt.date) -> list[UsageMonth]:
    """The periods from the one the user joined in: no empty months from before the account existed."""
    first = max((month.period_start for month in history if month.period_start <= joined), default=None)
    return [month for month in history if first is None or month.period_start >= first]


def history_bars(history: list[UsageMonth]) -> list[HistoryBar]:
    """One stacked bar per period: monthly quota used below, provision used on top; labels "Dec 2025"."""
    top = nice_ceiling(max((month.total for month in history), default=0))
    slot = (BAR_WIDTH - AXIS_WIDTH) / 12  # the width of a month whatever how many are shown
    bars = []
    for index, month in enumerate(history):
        monthly_h = HISTORY_HEIGHT * month.monthly_used / top
        provision_h = HISTORY_HEIGHT * month.provision_used / top
        x = AXIS_WIDTH + index * slot + slot * 0.15
        bars.append(
            HistoryBar(
                label=date_format(month.period_start, "M Y"),
                x=_n(x),
                monthly_y=_n(HISTORY_HEIGHT - monthly_h),
                monthly_height=_n(monthly_h),
                provision_y=_n(HISTORY_HEIGHT - monthly_h - provision_h),
                provision_height=_n(provision_h),
                monthly_used=month.monthly_used,
                provision_used=month.provision_used,
                label_x=_n(x + slot * 0.35),
            )
        )
    return bars


MEMBER_ROW_HEIGHT = 24
MEMBER_LABEL_WIDTH = 180  # the members' names, left of their bars


@dataclass(frozen=True)
class MemberBar:
    name: str
    charged: int
    limit: int | None
    y: str
    bottom: str
    text_y: str
    width: str
    limit_x: str  # "" without a limit


def member_bars(table: MemberUsageTable) -> tuple[list[MemberBar], str]:
    """This period's use per member as horizontal bars on one scale, each limit a tick; and the SVG's height."""
    top = nice_ceiling(max((max(row.charged, row.limit or 0) for row in table.rows), default=0))
    room = BAR_WIDTH - MEMBER_LABEL_WIDTH
    bars = []
    for index, row in enumerate(table.rows):
        y = index * MEMBER_ROW_HEIGHT
        bars.append(
            MemberBar(
                name=row.name,
                charged=row.charged,
                limit=row.limit,
                y=_n(y + 4),
                bottom=_n(y + 20),
                text_y=_n(y + MEMBER_ROW_HEIGHT / 2),
                width=_n(room * row.charged / top),
                limit_x=_n(MEMBER_LABEL_WIDTH + room * row.limit / top) if row.limit is not None else "",
            )
        )
    return bars, _n(max(len(bars), 1) * MEMBER_ROW_HEIGHT)
