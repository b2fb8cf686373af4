"""`PrometheusExporter`: names, labels and values, checked by parsing the exposition."""

from __future__ import annotations

from prisma_infra_prometheus import PrometheusExporter
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

BUCKET = "prisma_infra_operation_duration_seconds_bucket"


def samples(exporter: PrometheusExporter) -> dict[str, list[Sample]]:
    body, content_type, _ = exporter.render()
    assert content_type.startswith("text/plain")
    out: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            out.setdefault(sample.name, []).append(sample)
    return out


def value(found: dict[str, list[Sample]], name: str, **labels: str) -> float:
    matching = [s.value for s in found.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matching) == 1, (name, labels, found.get(name))
    return matching[0]


def test_prometheus_names_units_and_labels() -> None:
    exporter = PrometheusExporter({"process_metrics": False})
    exporter.observe("User", "findMany", 0.003, None, 10)
    exporter.observe("User", "findMany", 0.2, None, 0)
    exporter.observe("User", "create", 0.0004, "UniqueConstraintError", None)
    exporter.observe(None, "queryRaw", 20.0, None, 1)
    exporter.observe_cache("User", "hit")
    exporter.observe_cache("User", "hit")
    exporter.observe_cache("User", "miss")
    found = samples(exporter)
    assert set(found) == {
        "prisma_infra_operation_duration_seconds_bucket",
        "prisma_infra_operation_duration_seconds_count",
        "prisma_infra_operation_duration_seconds_sum",
        "prisma_infra_operations_total",
        "prisma_infra_operation_errors_total",
        "prisma_infra_rows_returned_total",
        "prisma_infra_cache_requests_total",
    }
    assert value(found, "prisma_infra_operations_total", model="User", action="findMany") == 2
    assert value(found, "prisma_infra_operation_duration_seconds_count", model="User", action="findMany") == 2
    assert value(found, "prisma_infra_operation_duration_seconds_sum", model="User", action="findMany") == 0.203
    assert value(found, BUCKET, model="User", action="findMany", le="0.005") == 1
    assert value(found, BUCKET, model="User", action="findMany", le="0.25") == 2
    assert value(found, BUCKET, model="User", action="findMany", le="+Inf") == 2
    assert value(found, BUCKET, model="raw", action="queryRaw", le="10.0") == 0
    assert value(found, BUCKET, model="raw", action="queryRaw", le="+Inf") == 1
    assert value(found, "prisma_infra_rows_returned_total", model="User", action="findMany") == 10
    error_labels = {"model": "User", "action": "create", "error_class": "UniqueConstraintError"}
    errors = value(found, "prisma_infra_operation_errors_total", **error_labels)
    assert errors == 1
    assert value(found, "prisma_infra_cache_requests_total", model="User", result="hit") == 2
    assert value(found, "prisma_infra_cache_requests_total", model="User", result="miss") == 1
    # Buckets are cumulative and monotonic.
    buckets = [s.value for s in found[BUCKET] if s.labels["action"] == "findMany"]
    assert buckets == sorted(buckets)


def test_each_exporter_has_its_own_registry() -> None:
    first, second = PrometheusExporter(), PrometheusExporter()
    first.observe("User", "count", 0.01, None, None)
    assert first.registry is not second.registry
    assert "prisma_infra_operations_total" in samples(first)
    assert "prisma_infra_operations_total" not in samples(second)
    assert any(name.startswith("process_") for name in samples(first))


def test_options_namespace_buckets_and_compression() -> None:
    import gzip

    exporter = PrometheusExporter({"namespace": "blog", "buckets": [1, 0.1], "process_metrics": False})
    exporter.observe("Post", "findMany", 0.05, None, 3)
    found = samples(exporter)
    les = [s.labels["le"] for s in found["blog_operation_duration_seconds_bucket"]]
    assert les == ["0.1", "1.0", "+Inf"]
    body, _, headers = exporter.render(accept_encoding="gzip, deflate")
    assert ("Content-Encoding", "gzip") in headers
    assert b"blog_operations_total" in gzip.decompress(body)
    openmetrics, content_type, _ = exporter.render(accept="application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text") and openmetrics.rstrip().endswith(b"# EOF")
