"""A patient's scores on one instrument over time, drawn as an inline SVG on the server.

Drawn on the server, without a charting library, because the chart must work with no
JavaScript (Django's CSP forbids inline script and style), print on a black-and-white
printer, scale down to a phone and be testable as a plain string.

Meaning never rests on colour alone: severity bands carry their label as text, reliable
change is shown by shape (triangle up, triangle down) as well as by a legend, and every line
is black. Colours are fill *attributes*, not inline styles, so a stylesheet rule for
`.band-0`, `.band-1`... overrides them and CSP does not block them.

Output is deterministic (no random ids, no locale-dependent formatting) so tests can compare
strings and two renders of the same record are identical.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

IMPROVEMENT = "reliable_improvement"
DETERIORATION = "reliable_deterioration"
MARKERS = ("", IMPROVEMENT, DETERIORATION)

# Month names are spelled out here rather than taken from strftime("%b"), which follows the
# process locale and would make output differ between servers.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Fallback band fills, least severe first, each darker than the one before. Black text on the
# darkest still has a contrast ratio above 10:1, and on a greyscale printout they stay
# distinguishable light greys behind black lines.
BAND_FILLS = ("#f3f6f3", "#fbf3d5", "#fbe2c2", "#f7cfba", "#f0bcbc", "#e3b0c6", "#d4a8d0")

INK = "#000"
FONT_SIZE = 11
# Rough width of one character at FONT_SIZE in a sans-serif face; used only to leave room.
CHAR_WIDTH = 6.6
# Keeps the first and last points off the axes so their markers are not clipped.
INNER_PADDING = 14
# Closest two date labels may be, in viewBox units, before one is dropped.
MIN_DATE_LABEL_GAP = 50
MARKER_RADIUS = 8
POINT_RADIUS = 3.5


@dataclass(frozen=True)
class ChartBand:
    low: int
    high: int
    label: str  # e.g. 0, 4, "Minimal"


@dataclass(frozen=True)
class ChartPoint:
    day: datetime.date
    score: int
    marker: str = ""  # "" | "reliable_improvement" | "reliable_deterioration"
    label: str = ""  # accessible text for this point e.g. "12 May 2026: 14 (Moderate)"


@dataclass(frozen=True)
class _Plot:
    """The rectangle the data is drawn in, and how dates and scores map into it."""

    left: float
    top: float
    right: float
    bottom: float
    first_day: datetime.date
    last_day: datetime.date
    max_score: int

    def x(self, day: datetime.date) -> float:
        span = (self.last_day - self.first_day).days
        if span == 0:
            # One day of data has no time axis to spread over: put it in the middle.
            return (self.left + self.right) / 2
        start = self.left + INNER_PADDING
        usable = (self.right - INNER_PADDING) - start
        return start + (day - self.first_day).days / span * usable

    def y(self, score: float) -> float:
        # A score outside the instrument's range is a data error, but the point should still
        # show (at the edge) rather than be drawn outside the chart or crash the page.
        clamped = min(max(score, 0), self.max_score)
        return self.bottom - clamped / self.max_score * (self.bottom - self.top)


def trend_chart(
    *,
    title: str,
    points: list[ChartPoint],
    bands: list[ChartBand],
    max_score: int,
    baseline: int | None = None,
    higher_is_better: bool = False,
    width: int = 640,
    height: int = 260,
    chart_id: str = "chart",
) -> SafeString:
    """An accessible SVG line chart of `points` over severity `bands`, from 0 to `max_score`."""
    if max_score <= 0:
        raise ValueError(f"max_score must be positive, got {max_score}")
    for point in points:
        if point.marker not in MARKERS:
            raise ValueError(f"unknown marker {point.marker!r}; expected one of {MARKERS}")

    ordered = sorted(points, key=lambda point: point.day)  # stable: same-day order is kept
    if not ordered:
        return _empty_chart(title=title, width=width, height=height, chart_id=chart_id)

    has_markers = any(point.marker for point in ordered)
    plot = _plot_area(ordered, bands, max_score, width, height, has_markers)
    parts = [
        _svg_open(width, height, chart_id),
        _title_and_desc(chart_id, title, _description(ordered, bands, baseline, higher_is_better)),
        *_severity_bands(plot, bands, higher_is_better),
        *_y_axis(plot),
        *_x_axis(plot, ordered),
        *_baseline(plot, baseline),
        _trend_line(plot, ordered),
        *_points(plot, ordered, bands),
        *_legend(plot, height, has_markers),
        "</svg>",
    ]
    return mark_safe("\n".join(parts))  # every piece is built with format_html


def _empty_chart(*, title: str, width: int, height: int, chart_id: str) -> SafeString:
    parts = [
        _svg_open(width, height, chart_id),
        _title_and_desc(chart_id, title, "No scores yet."),
        format_html(
            '<text class="empty" x="{}" y="{}" text-anchor="middle" fill="{}">No scores yet</text>',
            _n(width / 2),
            _n(height / 2),
            INK,
        ),
        "</svg>",
    ]
    return mark_safe("\n".join(parts))  # every piece is built with format_html


def _svg_open(width: int, height: int, chart_id: str) -> str:
    # width="100%" and no height: the viewBox's aspect ratio sets the height, so the chart
    # shrinks to a phone's width instead of overflowing it.
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" role="img"'
        ' aria-labelledby="{}-title {}-desc" viewBox="0 0 {} {}" width="100%"'
        ' preserveAspectRatio="xMidYMid meet" font-family="system-ui, sans-serif"'
        ' font-size="{}">',
        chart_id,
        chart_id,
        width,
        height,
        FONT_SIZE,
    )


def _title_and_desc(chart_id: str, title: str, desc: str) -> str:
    return format_html(
        '<title id="{}-title">{}</title>\n<desc id="{}-desc">{}</desc>',
        chart_id,
        title,
        chart_id,
        desc,
    )


def _plot_area(
    points: list[ChartPoint],
    bands: list[ChartBand],
    max_score: int,
    width: int,
    height: int,
    has_markers: bool,
) -> _Plot:
    longest_label = max((len(band.label) for band in bands), default=0)
    # Room on the right for band labels, but never more than a third of the chart.
    right_margin = min(max(longest_label * CHAR_WIDTH + 12, 16), width / 3)
    # Room below for date labels, and a legend row when there are shapes to explain.
    bottom_margin = 26 + (20 if has_markers else 0)
    return _Plot(
        left=34,
        top=16,
        right=width - right_margin,
        bottom=height - bottom_margin,
        first_day=points[0].day,
        last_day=points[-1].day,
        max_score=max_score,
    )


def _bands_by_severity(bands: list[ChartBand], higher_is_better: bool) -> list[ChartBand]:
    # Least severe first: low scores when lower is better, high scores when higher is.
    return sorted(bands, key=lambda band: band.low, reverse=higher_is_better)


def _severity_bands(plot: _Plot, bands: list[ChartBand], higher_is_better: bool) -> list[str]:
    parts = []
    for severity, band in enumerate(_bands_by_severity(bands, higher_is_better)):
        # Scores are whole numbers, so the boundary between 0-4 and 5-9 is at 4.5: a score of
        # 5 then sits inside "Mild" rather than on the line between two bands.
        top = plot.y(band.high + 0.5)
        bottom = plot.y(band.low - 0.5)
        fill = BAND_FILLS[min(severity, len(BAND_FILLS) - 1)]
        parts.append(
            format_html(
                '<rect class="band band-{}" x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                severity,
                _n(plot.left),
                _n(top),
                _n(plot.right - plot.left),
                _n(bottom - top),
                fill,
            )
        )
        parts.append(
            format_html(
                '<text class="band-label" x="{}" y="{}" dominant-baseline="middle"'
                ' fill="{}">{}</text>',
                _n(plot.right + 6),
                _n((top + bottom) / 2),
                INK,
                band.label,
            )
        )
    return parts


def _y_ticks(max_score: int) -> list[int]:
    # The smallest round step that gives at most six intervals: 0/5/10/.../25 for PHQ-9's 27,
    # 0/5/.../20 for GAD-7's 21.
    step = next(
        (s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500) if max_score / s <= 6),
        max(1, round(max_score / 5)),
    )
    return list(range(0, max_score + 1, step))


def _y_axis(plot: _Plot) -> list[str]:
    parts = [
        format_html(
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
            _n(plot.left),
            _n(plot.top),
            _n(plot.left),
            _n(plot.bottom),
            INK,
        )
    ]
    for tick in _y_ticks(plot.max_score):
        y = _n(plot.y(tick))
        parts.append(
            format_html(
                '<line class="tick" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
                _n(plot.left - 4),
                y,
                _n(plot.left),
                y,
                INK,
            )
        )
        parts.append(
            format_html(
                '<text class="tick-label" x="{}" y="{}" text-anchor="end"'
                ' dominant-baseline="middle" fill="{}">{}</text>',
                _n(plot.left - 7),
                y,
                INK,
                tick,
            )
        )
    return parts


def _labelled_days(plot: _Plot, points: list[ChartPoint]) -> list[datetime.date]:
    """The dates to label: the first, the last, and as many between as fit without overlap."""
    days = sorted({point.day for point in points})
    chosen = [days[0]]
    for day in days[1:]:
        if plot.x(day) - plot.x(chosen[-1]) >= MIN_DATE_LABEL_GAP:
            chosen.append(day)
    last = days[-1]
    if chosen[-1] != last:
        # The latest score matters most, so its date wins over the one before it.
        if len(chosen) > 1:
            chosen.pop()
        if plot.x(last) - plot.x(chosen[-1]) >= MIN_DATE_LABEL_GAP:
            chosen.append(last)
    return chosen


def _x_axis(plot: _Plot, points: list[ChartPoint]) -> list[str]:
    parts = [
        format_html(
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
            _n(plot.left),
            _n(plot.bottom),
            _n(plot.right),
            _n(plot.bottom),
            INK,
        )
    ]
    for day in _labelled_days(plot, points):
        x = _n(plot.x(day))
        parts.append(
            format_html(
                '<line class="tick" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
                x,
                _n(plot.bottom),
                x,
                _n(plot.bottom + 4),
                INK,
            )
        )
        parts.append(
            format_html(
                '<text class="tick-label date" x="{}" y="{}" text-anchor="middle"'
                ' fill="{}">{}</text>',
                x,
                _n(plot.bottom + 4 + FONT_SIZE + 2),
                INK,
                _short_date(day),
            )
        )
    return parts


def _baseline(plot: _Plot, baseline: int | None) -> list[str]:
    if baseline is None:
        return []
    y = plot.y(baseline)
    # Label above the line, unless the line is at the top where there is no room above.
    label_y = y - 5 if y - plot.top >= FONT_SIZE + 4 else y + FONT_SIZE + 3
    return [
        format_html(
            '<line class="baseline" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"'
            ' stroke-width="1.5" stroke-dasharray="6 4"/>',
            _n(plot.left),
            _n(y),
            _n(plot.right),
            _n(y),
            INK,
        ),
        # A white outline behind the letters keeps them readable over bands and lines.
        format_html(
            '<text class="baseline-label" x="{}" y="{}" fill="{}" stroke="#fff"'
            ' stroke-width="3" paint-order="stroke">Admission baseline {}</text>',
            _n(plot.left + 6),
            _n(label_y),
            INK,
            baseline,
        ),
    ]


def _trend_line(plot: _Plot, points: list[ChartPoint]) -> str:
    coordinates = " ".join(f"{_n(plot.x(p.day))},{_n(plot.y(p.score))}" for p in points)
    return format_html(
        '<polyline class="trend" points="{}" fill="none" stroke="{}" stroke-width="2"'
        ' stroke-linejoin="round"/>',
        coordinates,
        INK,
    )


def _points(plot: _Plot, points: list[ChartPoint], bands: list[ChartBand]) -> list[str]:
    parts = []
    for point in points:
        x, y = plot.x(point.day), plot.y(point.score)
        label = point.label or _point_label(point, bands)
        if point.marker:
            parts.append(_change_marker(x, y, point.marker, label))
        parts.append(
            format_html(
                '<circle class="point" cx="{}" cy="{}" r="{}" fill="#fff" stroke="{}"'
                ' stroke-width="1.5"><title>{}</title></circle>',
                _n(x),
                _n(y),
                POINT_RADIUS,
                INK,
                label,
            )
        )
    return parts


def _change_marker(x: float, y: float, marker: str, label: str) -> str:
    # Shape, direction and fill all differ (hollow up-triangle, solid down-triangle), so the
    # two kinds of change can be told apart without colour, including on a greyscale print.
    if marker == IMPROVEMENT:
        css_class, fill, what = "marker-improved", "#fff", "Reliable improvement"
        corners = _triangle(x, y, MARKER_RADIUS, pointing_up=True)
    else:
        css_class, fill, what = "marker-deteriorated", INK, "Reliable deterioration"
        corners = _triangle(x, y, MARKER_RADIUS, pointing_up=False)
    return format_html(
        '<polygon class="marker {}" points="{}" fill="{}" stroke="{}" stroke-width="1.5">'
        "<title>{}: {}</title></polygon>",
        css_class,
        corners,
        fill,
        INK,
        what,
        label,
    )


def _triangle(x: float, y: float, radius: float, *, pointing_up: bool) -> str:
    tip = -radius if pointing_up else radius
    base = radius * 0.75 if pointing_up else -radius * 0.75
    half_width = radius * 0.9
    corners = ((x, y + tip), (x - half_width, y + base), (x + half_width, y + base))
    return " ".join(f"{_n(cx)},{_n(cy)}" for cx, cy in corners)


def _legend(plot: _Plot, height: int, has_markers: bool) -> list[str]:
    if not has_markers:
        return []
    y = height - 9
    entries = (
        ("marker-improved", "#fff", True, "Reliable improvement"),
        ("marker-deteriorated", INK, False, "Reliable deterioration"),
    )
    parts = []
    x = plot.left
    for css_class, fill, pointing_up, text in entries:
        parts.append(
            format_html(
                '<polygon class="marker legend-marker {}" points="{}" fill="{}" stroke="{}"'
                ' stroke-width="1.5"/>',
                css_class,
                _triangle(x + 6, y - 4, 6, pointing_up=pointing_up),
                fill,
                INK,
            )
        )
        parts.append(
            format_html(
                '<text class="legend-label" x="{}" y="{}" fill="{}">{}</text>',
                _n(x + 16),
                _n(y),
                INK,
                text,
            )
        )
        x += 16 + len(text) * CHAR_WIDTH + 18
    return parts


def _description(
    points: list[ChartPoint],
    bands: list[ChartBand],
    baseline: int | None,
    higher_is_better: bool,
) -> str:
    """What a sighted reader takes from the chart, in sentences for a screen reader."""
    first, latest = points[0], points[-1]
    if len(points) == 1:
        sentences = [f"1 score: {_score_text(first, bands)} on {_long_date(first.day)}."]
    else:
        sentences = [
            f"{len(points)} scores from {_long_date(first.day)} to {_long_date(latest.day)}.",
            f"First {_score_text(first, bands)}, latest {_score_text(latest, bands)}.",
        ]
    if baseline is not None:
        sentences.append(f"Admission baseline {baseline}.")
    for marker, what in ((IMPROVEMENT, "improvement"), (DETERIORATION, "deterioration")):
        days = [_long_date(p.day) for p in points if p.marker == marker]
        if days:
            sentences.append(f"Reliable {what} on {', '.join(days)}.")
    sentences.append(
        "Higher scores are better." if higher_is_better else "Lower scores are better."
    )
    return " ".join(sentences)


def _point_label(point: ChartPoint, bands: list[ChartBand]) -> str:
    # Used when the caller gave no label, so every point still has hover text.
    return f"{_long_date(point.day)}: {_score_text(point, bands)}"


def _score_text(point: ChartPoint, bands: list[ChartBand]) -> str:
    band = _band_for(point.score, bands)
    return f"{point.score} ({band.label})" if band else str(point.score)


def _band_for(score: int, bands: list[ChartBand]) -> ChartBand | None:
    return next((band for band in bands if band.low <= score <= band.high), None)


def _short_date(day: datetime.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def _long_date(day: datetime.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _n(value: float) -> str:
    """A coordinate with at most one decimal, so output is short and stable across platforms."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
