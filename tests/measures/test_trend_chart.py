"""The score trend chart: a server-rendered SVG that must be accessible, printable and stable."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from openiop.measures.charts import ChartBand, ChartPoint, trend_chart

SVG = "{http://www.w3.org/2000/svg}"

PHQ9_BANDS = [
    ChartBand(0, 4, "Minimal"),
    ChartBand(5, 9, "Mild"),
    ChartBand(10, 14, "Moderate"),
    ChartBand(15, 19, "Moderately severe"),
    ChartBand(20, 27, "Severe"),
]

MAY_12 = dt.date(2026, 5, 12)


def weeks_later(weeks, days=0):
    return MAY_12 + dt.timedelta(weeks=weeks, days=days)


def chart(points, **kwargs):
    options = {"title": "PHQ-9", "bands": PHQ9_BANDS, "max_score": 27} | kwargs
    return trend_chart(points=points, **options)


def parse(svg):
    return ET.fromstring(str(svg))  # noqa: S314 - our own output, not untrusted input


def find_all(root, tag, css_class=None):
    elements = root.iter(f"{SVG}{tag}")
    if css_class is None:
        return list(elements)
    return [e for e in elements if css_class in e.get("class", "").split()]


def polygon_corners(element):
    return [tuple(float(n) for n in pair.split(",")) for pair in element.get("points").split()]


def relative_luminance(hex_colour):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def a_course_of_treatment():
    return [
        ChartPoint(MAY_12, 18, label="12 May 2026: 18 (Moderately severe)"),
        ChartPoint(weeks_later(1), 16),
        ChartPoint(weeks_later(2), 11, marker="reliable_improvement"),
        ChartPoint(weeks_later(3), 17, marker="reliable_deterioration"),
        ChartPoint(weeks_later(4), 8, marker="reliable_improvement"),
    ]


def test_it_is_valid_xml():
    for svg in (
        chart(a_course_of_treatment(), baseline=18),
        chart([ChartPoint(MAY_12, 3)]),
        chart([]),
        chart([ChartPoint(MAY_12, 3, label="<b>&")], title="A & B <c>"),
    ):
        assert parse(svg).tag == f"{SVG}svg"


def test_it_is_labelled_by_its_own_title_and_desc():
    root = parse(chart(a_course_of_treatment(), chart_id="phq9-trend"))

    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "phq9-trend-title phq9-trend-desc"
    assert root.find(f"{SVG}title").get("id") == "phq9-trend-title"
    assert root.find(f"{SVG}title").text == "PHQ-9"
    assert root.find(f"{SVG}desc").get("id") == "phq9-trend-desc"


def test_it_scales_to_the_width_of_its_container():
    root = parse(chart(a_course_of_treatment(), width=640, height=260))

    assert root.get("viewBox") == "0 0 640 260"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("preserveAspectRatio")


def test_it_summarises_the_scores_in_the_description():
    desc = parse(chart(a_course_of_treatment(), baseline=18)).find(f"{SVG}desc").text

    assert "5 scores from 12 May 2026 to 9 Jun 2026." in desc
    assert "First 18 (Moderately severe), latest 8 (Mild)." in desc
    assert "Admission baseline 18." in desc
    assert "Reliable improvement on 26 May 2026, 9 Jun 2026." in desc
    assert "Reliable deterioration on 2 Jun 2026." in desc
    assert "Lower scores are better." in desc


def test_it_says_which_direction_is_better():
    desc = parse(chart([ChartPoint(MAY_12, 50)], max_score=70, higher_is_better=True)).find(
        f"{SVG}desc"
    )

    assert "Higher scores are better." in desc.text


def test_it_says_no_scores_yet_when_empty():
    root = parse(chart([], chart_id="empty"))

    assert root.get("role") == "img"
    assert root.find(f"{SVG}desc").text == "No scores yet."
    assert [t.text for t in find_all(root, "text")] == ["No scores yet"]
    assert find_all(root, "circle") == []


def test_it_centers_a_single_point():
    root = parse(chart([ChartPoint(MAY_12, 14)], width=640))
    band = find_all(root, "rect", "band")[0]
    plot_middle = float(band.get("x")) + float(band.get("width")) / 2

    (circle,) = find_all(root, "circle", "point")

    assert float(circle.get("cx")) == pytest.approx(plot_middle, abs=0.1)
    assert "1 score: 14 (Moderate) on 12 May 2026." in root.find(f"{SVG}desc").text


def test_it_places_points_by_date_not_by_index():
    points = [
        ChartPoint(MAY_12, 10),
        ChartPoint(MAY_12 + dt.timedelta(days=1), 10),
        ChartPoint(MAY_12 + dt.timedelta(days=10), 10),
    ]

    xs = [float(c.get("cx")) for c in find_all(parse(chart(points)), "circle", "point")]

    assert (xs[2] - xs[1]) == pytest.approx(9 * (xs[1] - xs[0]), abs=0.5)


def test_it_places_higher_scores_higher_up():
    points = [ChartPoint(MAY_12, 0), ChartPoint(weeks_later(1), 27)]

    ys = [float(c.get("cy")) for c in find_all(parse(chart(points)), "circle", "point")]

    assert ys[0] > ys[1]  # SVG's y grows downwards


def test_it_connects_the_points_in_date_order_whatever_order_they_come_in():
    in_order = a_course_of_treatment()
    shuffled = [in_order[3], in_order[0], in_order[4], in_order[2], in_order[1]]

    root = parse(chart(shuffled))
    (line,) = find_all(root, "polyline", "trend")
    xs = [x for x, _ in polygon_corners(line)]

    assert xs == sorted(xs)
    assert len(xs) == 5
    assert str(chart(shuffled)) == str(chart(in_order))


def test_it_gives_every_point_a_circle_titled_with_its_label():
    root = parse(chart(a_course_of_treatment()))

    titles = [c.find(f"{SVG}title").text for c in find_all(root, "circle", "point")]

    assert len(titles) == 5
    assert titles[0] == "12 May 2026: 18 (Moderately severe)"
    # Without a label from the caller, the point still says its date, score and band.
    assert titles[1] == "19 May 2026: 16 (Moderately severe)"


def test_it_marks_reliable_improvement_with_its_own_shape():
    root = parse(chart(a_course_of_treatment()))

    improved = [
        m
        for m in find_all(root, "polygon", "marker-improved")
        if "legend-marker" not in m.get("class")
    ]

    assert len(improved) == 2
    tip, *base = polygon_corners(improved[0])
    assert tip[1] < base[0][1]  # an upward triangle
    assert improved[0].find(f"{SVG}title").text.startswith("Reliable improvement: ")


def test_it_marks_reliable_deterioration_with_its_own_shape():
    root = parse(chart(a_course_of_treatment()))

    deteriorated = [
        m
        for m in find_all(root, "polygon", "marker-deteriorated")
        if "legend-marker" not in m.get("class")
    ]

    assert len(deteriorated) == 1
    tip, *base = polygon_corners(deteriorated[0])
    assert tip[1] > base[0][1]  # a downward triangle, unlike improvement's
    assert deteriorated[0].get("fill") != find_all(root, "polygon", "marker-improved")[0].get(
        "fill"
    )
    assert deteriorated[0].find(f"{SVG}title").text.startswith("Reliable deterioration: ")


def test_it_explains_the_shapes_in_a_legend_only_when_they_are_used():
    with_markers = parse(chart(a_course_of_treatment()))
    without = parse(chart([ChartPoint(MAY_12, 5), ChartPoint(weeks_later(1), 6)]))

    legend = [t.text for t in find_all(with_markers, "text", "legend-label")]

    assert legend == ["Reliable improvement", "Reliable deterioration"]
    assert find_all(without, "text", "legend-label") == []
    assert find_all(without, "polygon") == []


def test_it_rejects_an_unknown_marker():
    with pytest.raises(ValueError, match="unknown marker"):
        chart([ChartPoint(MAY_12, 5, marker="improved")])


def test_it_draws_the_baseline():
    root = parse(chart(a_course_of_treatment(), baseline=18))
    first = find_all(root, "circle", "point")[0]  # also scored 18

    (line,) = find_all(root, "line", "baseline")
    (label,) = find_all(root, "text", "baseline-label")

    assert line.get("y1") == line.get("y2") == first.get("cy")
    assert line.get("stroke-dasharray")
    assert label.text == "Admission baseline 18"


def test_it_draws_no_baseline_without_one():
    root = parse(chart(a_course_of_treatment()))

    assert find_all(root, "line", "baseline") == []


def test_it_shades_severity_bands_in_order_of_severity():
    root = parse(chart(a_course_of_treatment()))

    bands = find_all(root, "rect", "band")
    labels = [t.text for t in find_all(root, "text", "band-label")]

    assert [b.get("class") for b in bands] == [f"band band-{i}" for i in range(5)]
    assert labels == ["Minimal", "Mild", "Moderate", "Moderately severe", "Severe"]
    luminances = [relative_luminance(b.get("fill")) for b in bands]
    assert luminances == sorted(luminances, reverse=True)  # lighter for less severe
    # Black text stays readable on the darkest fallback fill (WCAG AA needs 4.5:1).
    assert (luminances[-1] + 0.05) / 0.05 > 4.5


def test_it_ranks_high_scores_least_severe_when_higher_is_better():
    bands = [ChartBand(0, 40, "Low"), ChartBand(41, 70, "High")]

    root = parse(chart([ChartPoint(MAY_12, 50)], bands=bands, max_score=70, higher_is_better=True))
    by_class = {r.get("class"): r for r in find_all(root, "rect", "band")}

    assert float(by_class["band band-0"].get("y")) < float(by_class["band band-1"].get("y"))


def test_it_puts_band_labels_at_the_right_edge_of_the_plot():
    root = parse(chart(a_course_of_treatment()))
    band = find_all(root, "rect", "band")[0]
    plot_right = float(band.get("x")) + float(band.get("width"))

    for label in find_all(root, "text", "band-label"):
        assert float(label.get("x")) > plot_right


def test_it_lets_a_score_between_bands_sit_inside_its_band():
    root = parse(chart([ChartPoint(MAY_12, 5)]))
    mild = find_all(root, "rect", "band-1")[0]
    (point,) = find_all(root, "circle", "point")

    top, height = float(mild.get("y")), float(mild.get("height"))
    assert top < float(point.get("cy")) < top + height


def test_it_ticks_the_score_axis_from_zero():
    root = parse(chart(a_course_of_treatment()))

    ticks = [t.text for t in find_all(root, "text", "tick-label") if "date" not in t.get("class")]

    assert ticks == ["0", "5", "10", "15", "20", "25"]


def test_it_labels_dates_as_day_and_month():
    points = [ChartPoint(dt.date(2026, 5, 12), 9), ChartPoint(dt.date(2026, 6, 5), 7)]

    dates = [t.text for t in find_all(parse(chart(points)), "text", "date")]

    assert dates == ["12 May", "5 Jun"]


def test_it_drops_crowded_date_labels_but_keeps_the_first_and_latest():
    daily = [ChartPoint(MAY_12 + dt.timedelta(days=d), 10) for d in range(60)]

    dates = [t.text for t in find_all(parse(chart(daily)), "text", "date")]

    assert dates[0] == "12 May"
    assert dates[-1] == "10 Jul"
    assert 2 < len(dates) < 15


def test_it_keeps_out_of_range_scores_inside_the_chart():
    root = parse(chart([ChartPoint(MAY_12, 40), ChartPoint(weeks_later(1), -3)]))
    bands = find_all(root, "rect", "band")
    plot_top = min(float(b.get("y")) for b in bands)
    plot_bottom = max(float(b.get("y")) + float(b.get("height")) for b in bands)

    for circle in find_all(root, "circle", "point"):
        assert plot_top <= float(circle.get("cy")) <= plot_bottom


def test_it_escapes_titles():
    svg = str(
        chart(
            [ChartPoint(MAY_12, 5, label='<script>alert("x")</script>')],
            title="Tom & Jerry's <PHQ-9>",
            bands=[ChartBand(0, 27, "<b>Any</b>")],
            chart_id='x" onload="alert(1)',
        )
    )

    assert "<script>" not in svg
    assert "<b>" not in svg
    assert 'onload="' not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "Tom & Jerry's <PHQ-9>"
    assert find_all(root, "circle", "point")[0].find(f"{SVG}title").text.startswith("<script>")
    assert find_all(root, "text", "band-label")[0].text == "<b>Any</b>"


def test_it_draws_in_black_so_it_prints_without_colour():
    root = parse(chart(a_course_of_treatment(), baseline=18))

    strokes = {
        e.get("stroke") for tag in ("line", "polyline", "circle") for e in find_all(root, tag)
    }
    text_fills = {t.get("fill") for t in find_all(root, "text")}

    assert strokes == {"#000"}
    assert text_fills == {"#000"}


def test_it_uses_no_inline_styles_which_the_content_security_policy_would_block():
    svg = str(chart(a_course_of_treatment(), baseline=18))

    assert "style=" not in svg
    assert "<style" not in svg
    assert "<script" not in svg


def test_it_renders_the_same_input_to_the_same_string():
    assert str(chart(a_course_of_treatment(), baseline=18)) == str(
        chart(a_course_of_treatment(), baseline=18)
    )


def test_it_rejects_a_scale_with_no_range():
    with pytest.raises(ValueError, match="max_score"):
        chart([ChartPoint(MAY_12, 0)], max_score=0)
