"""The overview's charts read as their tables do: whole steps on a count axis, numbers in the
reader's language."""

from __future__ import annotations

from flask_babel import force_locale

from console.reports import charts
from console.reports.overview import _percent


def _stacked(most: int):
    return charts.stacked_bars(
        "c",
        "Complaints",
        "",
        ["1 Mar", "8 Mar"],
        ["quality"],
        {},
        {"quality": [most, 1]},
        lambda *a: "",
    )


def test_a_count_axis_has_whole_steps(app):
    with app.test_request_context():
        assert [t.text for t in _stacked(7).y_ticks] == ["0", "2", "4", "6", "8"]
        assert [t.text for t in _stacked(37).y_ticks] == ["0", "10", "20", "30", "40"]
        assert [t.text for t in _stacked(3).y_ticks] == ["0", "1", "2", "3", "4"]
        assert [t.text for t in _stacked(9).y_ticks] == ["0", "3", "6", "9", "12"]


def test_numbers_on_charts_are_in_the_readers_language(app):
    with app.test_request_context():
        assert _percent(90.1) == "90.1%"
        assert _stacked(4000).y_ticks[-1].text == "4,000"
        with force_locale("ru"):
            assert _percent(90.1) == "90,1%"  # as the tables write it
            assert _stacked(4000).y_ticks[-1].text == "4\xa0000"
