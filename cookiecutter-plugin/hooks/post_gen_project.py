"""Keep only the chosen provider kind's module and tests; drop the other kinds' files."""

from pathlib import Path

KINDS = ("cache_store", "audit_sink", "pii_detector", "metrics_exporter", "search_provider", "middleware")
chosen = "{{ cookiecutter.provider_kind }}"
package = Path("src") / "{{ cookiecutter.__package }}"

for kind in KINDS:
    if kind == chosen:
        continue
    for path in (package / f"{kind}.py", Path("tests") / f"test_{kind}.py"):
        path.unlink(missing_ok=True)
