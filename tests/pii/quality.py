"""Per-category precision and recall of the built-in detectors on the labelled dataset."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prisma_infra.pii import CATEGORIES, PiiManager

DATA = Path(__file__).parent / "data"


def load() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in ("labelled.jsonl", "hard_negatives.jsonl"):
        with (DATA / name).open(encoding="utf-8") as lines:
            rows.extend(json.loads(line) for line in lines if line.strip())
    return rows


@dataclass
class Score:
    category: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def evaluate(manager: PiiManager | None = None) -> tuple[dict[str, Score], list[tuple[dict[str, Any], str]]]:
    manager = manager or PiiManager()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    errors: list[tuple[dict[str, Any], str]] = []
    for row in load():
        best = manager.best(row["value"], field=row["field"])
        predicted = best.category if best else "none"
        label = row["label"]
        if predicted == label:
            if label != "none":
                tp[label] += 1
            continue
        errors.append((row, predicted))
        if predicted != "none":
            fp[predicted] += 1
        if label != "none":
            fn[label] += 1
    return {c: Score(c, tp[c], fp[c], fn[c]) for c in CATEGORIES}, errors


def table(scores: dict[str, Score]) -> str:
    lines = [f"{'category':<12} {'precision':>9} {'recall':>7} {'tp':>5} {'fp':>4} {'fn':>4}"]
    for s in scores.values():
        lines.append(f"{s.category:<12} {s.precision:>9.3f} {s.recall:>7.3f} {s.tp:>5} {s.fp:>4} {s.fn:>4}")
    return "\n".join(lines)


def locale_table(mistakes: list[tuple[dict[str, Any], str]]) -> str:
    """Recall per locale and category (``-``: no such values), and false positives per locale."""
    rows = load()
    total = Counter((r.get("locale", "-"), r["label"]) for r in rows)
    missed = Counter((r.get("locale", "-"), r["label"]) for r, _ in mistakes if r["label"] != "none")
    wrong = Counter(r.get("locale", "-") for r, predicted in mistakes if predicted != "none")
    shown = [c for c in CATEGORIES if c != "none"]
    lines = [f"{'locale':<7} " + " ".join(f"{c[:8]:>8}" for c in shown) + f" {'fp':>4}"]
    for locale in sorted({loc for loc, _ in total}):
        cells = [
            f"{1 - missed[locale, c] / total[locale, c]:>8.3f}" if total[locale, c] else f"{'-':>8}" for c in shown
        ]
        lines.append(f"{locale:<7} " + " ".join(cells) + f" {wrong[locale]:>4}")
    return "\n".join(lines)


if __name__ == "__main__":
    results, mistakes = evaluate()
    print(table(results))
    print(locale_table(mistakes))
    for row, predicted in mistakes:
        print(
            f"  {row['label']:>12} -> {predicted:<12} {row.get('kind', ''):<22} {row['field']!s:<22} {row['value']!r}"
        )


def evaluate_text(manager: PiiManager | None = None) -> tuple[dict[str, float], int, int]:
    """Free text (``mask_text``): each value after its field name in a log-like line.

    :returns: recall per category (a span of that category covering the value),
        spans found in negative lines, and the number of negative lines.
    """
    manager = manager or PiiManager()
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    false_spans = negatives = 0
    for row in load():
        text = f"{row['field'] or 'value'}: {row['value']}; request done"
        start = text.index(row["value"])
        end = start + len(row["value"])
        spans = manager.find(text)
        if row["label"] == "none":
            negatives += 1
            false_spans += len(spans)
            continue
        total[row["label"]] += 1
        if any(s.category == row["label"] and s.start <= start + 1 and s.end >= end - 1 for s in spans):
            found[row["label"]] += 1
    return {c: found[c] / total[c] for c in total}, false_spans, negatives
