"""`TimeSeries` and percentile estimates."""

from __future__ import annotations

import pytest
from prisma_infra.monitoring.series import BOUNDS, TimeSeries, bucket_of, percentile


def test_buckets_cover_microseconds_to_minutes() -> None:
    assert BOUNDS[0] <= 10e-6
    assert BOUNDS[-1] >= 60
    assert list(BOUNDS) == sorted(set(BOUNDS))
    assert bucket_of(0.0) == 0
    assert bucket_of(1e9) == len(BOUNDS)


@pytest.mark.parametrize("value", [20e-6, 0.0013, 0.2, 3.0])
def test_percentile_is_within_a_bucket_width(value: float) -> None:
    hist = [0] * (len(BOUNDS) + 1)
    hist[bucket_of(value)] = 100
    estimate = percentile(hist, 0.5)
    assert estimate is not None
    assert value / 1.3 <= estimate <= value * 1.3


def test_percentiles_of_a_mixture() -> None:
    hist = [0] * (len(BOUNDS) + 1)
    hist[bucket_of(0.001)] += 90
    hist[bucket_of(0.1)] += 10
    p50, p95 = percentile(hist, 0.5), percentile(hist, 0.95)
    assert p50 is not None and p95 is not None
    assert p50 < 0.0015 < 0.07 < p95 < 0.13
    assert percentile([0] * 5, 0.5) is None


def test_ring_reuses_slots_and_forgets_old_seconds() -> None:
    series = TimeSeries(10)
    series.slot(100).count += 3
    series.slot(101).count += 1
    assert [s.count if s else 0 for _, s in series.window(101, 3)] == [0, 3, 1]
    series.slot(110).count += 7  # same ring position as 100: reset
    window = dict(series.window(110, 10))
    assert window[110] is not None and window[110].count == 7
    assert window[101] is not None and window[101].count == 1
    assert len(series.window(110, 999)) == 10
    merged = TimeSeries.merged([series.slot(110), None])
    assert sum(merged) == 0  # counts only, histograms were not filled here
