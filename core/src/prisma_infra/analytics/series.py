"""Math over small series: least-squares trend and anomaly scores."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Anomaly", "anomaly", "slope"]


def slope(values: Sequence[float | None]) -> float | None:
    """Least-squares slope per step of the present values (``None`` with fewer than two)."""
    points = [(float(i), float(v)) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = math.fsum(x for x, _ in points) / n
    mean_y = math.fsum(y for _, y in points) / n
    sxx = math.fsum((x - mean_x) ** 2 for x, _ in points)
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in points)
    return sxy / sxx if sxx else None


@dataclass(frozen=True)
class Anomaly:
    """How far a value is from the moving average of the values before it."""

    mean: float
    deviation: float
    """``value - mean``."""
    z: float | None
    """``deviation / stdev`` (population); ``None`` when the reference values do not vary."""

    def as_dict(self) -> dict[str, float | None]:
        return {"mean": self.mean, "deviation": self.deviation, "z": self.z}


def anomaly(value: float | None, reference: Sequence[float | None]) -> Anomaly | None:
    """``value`` against ``reference`` (the window before it); ``None`` without data."""
    present = [float(v) for v in reference if v is not None]
    if value is None or not present:
        return None
    mean = math.fsum(present) / len(present)
    variance = math.fsum((v - mean) ** 2 for v in present) / len(present)
    stdev = math.sqrt(variance)
    deviation = float(value) - mean
    return Anomaly(mean=mean, deviation=deviation, z=deviation / stdev if stdev > 0 else None)
