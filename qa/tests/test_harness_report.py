"""The harness tells on broken pages and explains its failures: a suite that fails on purpose
(``qa/tests/harness_suite.py``) runs in a pytest of its own, and its report, JUnit XML, terminal
output and artifact folders are read here.

The inner run takes a few seconds; it runs once per test session, on the worker that gets these
tests (one xdist group), before them (``qa/tests/harness_run.py``).
"""

from __future__ import annotations

import html
import json
import re
import sys
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings

from qa.fixtures.artifacts import ARTIFACT_FILES, artifact_dir
from qa.tests import harness_run
from qa.tests.harness_run import InnerRun
from qa.throwaway_servers import run_command

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("harness-inner")]

KIND_OF = {  # each broken page's failed sub-request, as the browser names its type
    "stylesheet": "Stylesheet",
    "script": "Script",
    "image": "Image",
    "font": "Font",
    "audio": "Media",
}


class Results(InnerRun):
    """The inner run, read: its JUnit XML and the data of its HTML report."""

    def testcase(self, name: str) -> ET.Element:
        tree = ET.parse(self.report.with_suffix(".xml"))  # noqa: S314  (written by the inner run)
        found = [case for case in tree.iter("testcase") if case.get("name") == name]
        assert len(found) == 1, f"{len(found)} <testcase name={name!r}> in the JUnit XML"
        return found[0]

    def failure(self, name: str) -> str:
        failure = self.testcase(name).find("failure")
        assert failure is not None, f"{name} did not fail"
        return failure.get("message", "") + "\n" + (failure.text or "")

    def html_tests(self) -> dict[str, list[dict]]:
        """pytest-html's data of each test, from the JSON the report carries."""
        page = self.report.read_text(encoding="utf-8")
        blob = re.search(r'data-jsonblob="([^"]*)"', page)
        assert blob, "no test data in the HTML report"
        return json.loads(html.unescape(blob.group(1)))["tests"]


def html_extras(row: dict) -> str:
    """The HTML blocks pytest-html shows under a test's row."""
    return "".join(extra["content"] for extra in row["extras"] if extra["format_type"] == "html")


@pytest.fixture(scope="session")
def inner(tmp_path_factory: pytest.TempPathFactory) -> Results:
    run = harness_run.inner_run(harness_run.shared_folder(tmp_path_factory.getbasetemp()))
    return Results(run.folder, run.returncode, run.output)


def test_the_run_fails_and_says_what_it_found(inner):
    assert inner.returncode == 1, inner.output
    last = inner.output.strip().splitlines()[-1]
    assert re.search(r" 11 failed, 2 passed, 1 rerun, 1 flaky in ", last), last


@pytest.mark.parametrize("kind", list(KIND_OF))
def test_a_sub_request_that_answers_404_fails_the_test_with_its_address(inner, kind):
    message = inner.failure(f"test_broken[{kind}]")

    assert "The browser reported problems with the page" in message
    assert re.search(rf"failed request: {KIND_OF[kind]} GET http://\S+ answered 404", message)
    assert re.search(rf"\(on http://\S+/broken/{kind}/\)", message)  # the page it happened on


def test_a_sub_request_without_an_answer_fails_the_test(inner):
    message = inner.failure("test_broken[no-answer]")

    assert re.search(
        r"failed request: Image GET http://127\.0\.0\.1:\d+/refused\.png got no answer "
        r"\(net::ERR_CONNECTION_REFUSED\)",
        message,
    )


def test_a_thrown_exception_fails_the_test_with_its_message_and_script(inner):
    message = inner.failure("test_broken[exception]")

    assert re.search(
        r"JavaScript exception: http://\S+/broken/throw\.js \S+ "
        r"Uncaught Error: thrown by the page on purpose \(on http://\S+/broken/exception/\)",
        message,
    )


def test_a_console_error_fails_the_test(inner):
    message = inner.failure("test_broken[console-error]")

    assert re.search(r'console\.error: http://\S+/broken/console-error\.js \S+ "said by', message)


def test_an_expected_browser_error_passes_and_one_that_never_comes_fails(inner):
    assert inner.testcase("test_expected_error").find("failure") is None
    message = inner.failure("test_expected_error_that_never_comes")
    assert "expected a browser error matching 'an error that never comes', and none came" in (
        message
    )
    assert inner.testcase("test_clean_page").find("failure") is None


def test_a_failing_browser_test_carries_its_evidence_in_the_html_report(inner):
    [row] = inner.html_tests()["test_inner.py::test_broken[stylesheet]"]
    evidence = html_extras(row)
    links = [extra["content"] for extra in row["extras"] if extra["format_type"] == "url"]

    assert re.search(r'<img src="data:image/png;base64,iVBORw0KGgo[^"]+" alt="screenshot', evidence)
    assert links and links[0].endswith("/broken/stylesheet/")  # the URL, among the links
    assert "Failed requests (1)" in evidence and "missing.css answered 404" in evidence
    assert "Console (" in evidence  # the browser console, every level
    assert "<summary>Page HTML (" in evidence and "A page with a broken stylesheet" in evidence
    assert "The browser reported problems with the page" in row["log"]


def test_a_failing_browser_test_leaves_its_artifacts_and_says_where(inner):
    failed = artifact_dir(inner_config(inner), "test_inner.py::test_wrong_heading")

    assert sorted(path.name for path in failed.iterdir()) == sorted(ARTIFACT_FILES)
    assert (failed / "screenshot.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert 'id="login_form"' in (failed / "page.html").read_text()
    assert (failed / "url.txt").read_text().strip().endswith("/member/login/")
    assert "evidence probe: the page said this" in (failed / "console.log").read_text()
    # The failure report names the folder, so a CI log leads straight to the evidence.
    assert f"browser: {failed}/" in inner.output
    # A passing test leaves nothing behind.
    assert not artifact_dir(inner_config(inner), "test_inner.py::test_clean_page").exists()


def inner_config(inner: Results):
    """Enough of a pytest config for ``artifact_dir``: the inner run's artifacts folder."""

    class Config:
        rootpath = inner.folder

        @staticmethod
        def getoption(name: str) -> str:
            assert name == "qa_artifacts"
            return str(inner.artifacts)

    return Config()


def test_a_test_that_passes_on_a_rerun_is_reported_flaky(inner):
    case = inner.testcase("test_flaky")
    properties = {prop.get("name"): prop.get("value") for prop in case.iter("property")}
    flaky_failures = [element.get("message") for element in case.iter("flakyFailure")]
    [final, rerun] = sorted(
        inner.html_tests()["test_inner.py::test_flaky"], key=lambda row: row["result"]
    )

    assert case.find("failure") is None
    assert properties["flaky"].startswith("passed on attempt 2; attempt 1 failed in call:")
    assert flaky_failures == [
        "attempt 1 failed in call: AssertionError: fails on its first attempt assert 1 > 1"
    ]
    assert (
        "FLAKY test_inner.py::test_flaky - passed on attempt 2; attempt 1 failed in call: "
        "AssertionError: fails on its first attempt" in inner.output
    )
    assert (final["result"], rerun["result"]) == ("Passed", "Rerun")
    assert "attempt 1 failed in call: AssertionError" in "".join(final["resultsTableRow"])


def test_a_changed_colour_fails_with_baseline_shot_and_difference_in_the_report(inner):
    message = inner.failure("test_changed_colour")
    [row] = inner.html_tests()["test_inner.py::test_changed_colour"]
    evidence = html_extras(row)

    assert re.search(r"sign-in: \d+ pixels changed \(at most \d+ may\)", message)
    for caption in ("baseline", "this run", "changed pixels in red"):
        assert re.search(rf'<img src="data:image/png;base64,[^"]+" alt="{caption}"', evidence)


def test_two_runs_merge_into_one_report_with_each_test_labelled(inner, tmp_path):
    merged = tmp_path / "merged.html"
    result = run_command(
        [
            *(sys.executable, "-m", "qa.report", "--html", str(merged)),
            *(f"one={inner.log}", f"two={inner.log}", f"three={tmp_path / 'missing.jsonl'}"),
        ],
        cwd=settings.BASE_DIR,
    )
    page = merged.read_text(encoding="utf-8")
    xml = ET.parse(merged.with_suffix(".xml"))  # noqa: S314  (just written)
    classnames = {case.get("classname") for case in xml.iter("testcase")}

    assert result.returncode == 1, result.stdout + result.stderr
    assert "one: 11 failed, 1 flaky, 2 passed, 1 rerun (" in result.stdout
    assert "three: no tests (no report log at" in result.stdout
    assert classnames == {"one.test_inner", "two.test_inner"}
    # The suite's time is the runs' (seconds each), not the replay's (a fraction of one).
    finished = json.loads(inner.log.read_text().splitlines()[-1])
    suite_time = float(xml.find("testsuite").get("time"))
    assert suite_time == pytest.approx(2 * finished["duration"], abs=0.01)
    assert "one/test_inner.py::test_clean_page" in page
    assert "two/test_inner.py::test_flaky" in page


def test_a_report_log_cut_short_is_a_run_that_did_not_finish(inner, tmp_path):
    lines = inner.log.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[:4]) + lines[4][: len(lines[4]) // 2], encoding="utf-8")
    merged = tmp_path / "merged.html"

    result = run_command(
        [sys.executable, "-m", "qa.report", "--html", str(merged), f"cut={cut}"],
        cwd=settings.BASE_DIR,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "did not finish" in result.stdout, result.stdout + result.stderr
    assert merged.is_file()
