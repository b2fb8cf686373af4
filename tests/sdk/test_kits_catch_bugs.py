"""The kits must catch real bugs: each broken implementation fails exactly where it is wrong.

Runs ``broken/broken_impls.py`` (as ``test_broken_impls.py``) in a separate pytest process in pytest-asyncio
*strict* mode, with the SDK's pytest plugin loaded from its ``pytest11`` entry point.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

HERE = Path(__file__).parent

#: Test class -> kit tests that must fail; every other test of the class must pass.
EXPECTED_FAILURES: dict[str, set[str]] = {
    "TestCorrectStore": set(),
    "TestNoTtlStore": {"test_ttl_expires"},
    "TestRacyIncrStore": {"test_incr_is_atomic"},
    "TestCorrectSink": set(),
    "TestSwallowingSink": {"test_unavailable_backend_raises"},
    "TestReorderingSink": {
        "test_events_are_stored_in_order_and_unchanged",
        "test_write_is_durable_across_instances",
        "test_replayed_events_are_not_duplicated",
        "test_start_and_close_are_idempotent",
        "test_concurrent_writes_of_separate_chains",
    },
    "TestDuplicatingSink": {"test_replayed_events_are_not_duplicated"},
    "TestCorrectExporter": set(),
    "TestSlowExporter": {"test_observe_is_cheap"},
    "TestFussyExporter": {
        "test_observe_accepts_everything_the_kernel_sends",
    },
    "TestCorrectDetector": set(),
    "TestAnyDigitsDetector": {"test_no_false_positive_on_hard_negatives"},
    "TestOverconfidentDetector": {"test_finds_its_positives"},
    "TestCorrectMiddleware": set(),
    "TestMutatingMiddleware": {"test_caller_args_are_never_mutated"},
    "TestSwallowingMiddleware": {"test_errors_flow_outwards"},
    # The kit's documents say "Postgres", its queries "postgres": case matters in most checks.
    "TestCaseSensitiveSearch": {
        "test_is_case_insensitive_and_handles_unicode",
        "test_finds_by_word_in_the_given_fields",
        "test_reindex_replaces",
        "test_models_are_separate",
        "test_remove",
        "test_string_ids_and_missing_fields",
    },
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    work = tmp_path_factory.mktemp("kits")
    shutil.copy(HERE / "broken" / "broken_impls.py", work / "test_broken_impls.py")
    (work / "pytest.ini").write_text("[pytest]\nasyncio_mode = strict\n")
    report = work / "report.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            str(work / "test_broken_impls.py"),
            "-c",
            str(work / "pytest.ini"),
            "--rootdir",
            str(work),
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert report.exists(), "the kit run produced no report"
    found: dict[str, dict[str, str]] = {}
    for case in ET.parse(report).iter("testcase"):
        cls = case.get("classname", "").rsplit(".", 1)[-1]
        name = case.get("name", "").split("[")[0]
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        found.setdefault(cls, {})[name] = outcome
    return found


@pytest.mark.parametrize("cls", sorted(EXPECTED_FAILURES))
def test_kit_fails_exactly_where_the_implementation_is_wrong(cls: str, outcomes: dict[str, dict[str, str]]) -> None:
    results = outcomes.get(cls)
    assert results, f"{cls} did not run"
    failed = {name for name, outcome in results.items() if outcome == "failed"}
    skipped = {name for name, outcome in results.items() if outcome == "skipped"}
    assert not skipped, f"{cls}: kits never skip, but these were skipped: {skipped}"
    assert failed == EXPECTED_FAILURES[cls], f"{cls}: expected failures {EXPECTED_FAILURES[cls]}, got {failed}"


def test_a_missing_fixture_fails_and_says_what_to_define(outcomes: dict[str, dict[str, str]]) -> None:
    results = outcomes["TestForgotTheFixture"]
    assert results and set(results.values()) == {"failed"}, results
