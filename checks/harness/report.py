"""Learner mode's report: a step's technique and its hardening counted apart, and what to fix.

A step check marked `hardening` is part of the step's hardening; every other one is its
technique. Learner mode (`--step-dir`) and `make progress` both end with the same lines:

    04_auth          not yet  technique 40/40 · hardening 9/31
                     first to fix: test_...: what is missing, and where to read about it

No pytest hooks of the suite here: conftest.py registers the plugin in learner mode, and
tools/progress.py reads it back.
"""

import re
from pathlib import Path

import pytest

from harness.selection import group_of, is_learners
from harness.steps import ROOT, check_files, step_number

GROUPS = ("technique", "hardening")
# Where a message says to read on: (WORKSHOP.md, Step 04 · Passwords with bcrypt 5).
POINTER = re.compile(r"\(WORKSHOP\.md, Step \d\d · [^)]+\)")
# The exceptions a check raises on purpose: an assert with its message, and pytest.fail.
CHECK_FAILURES = {"AssertionError", "Failed"}
PLUGIN_NAME = "learner_tally"


class LearnerTally:
    """A pytest plugin that sorts each check's result into its group and keeps every failure."""

    def __init__(self, folder):
        self.path = Path(folder).resolve()
        self.folder = self.path.name
        # nodeid -> {"group", "passed"}, and for a failure its "nodeid", "name", "error" and
        # "message"; in the order the checks ran.
        self.results = {}
        # nodeid -> its place in the run, so that the first to fix does not depend on which
        # pytest-xdist worker ends first.
        self.order = {}
        # nodeid -> why it was skipped (the browser checks, without Chromium): named, not lost.
        self.skipped = {}
        # The step's browser checks that -m "not browser" left out (make progress does): counted
        # as left out, so that no count looks complete without them. Known in one process only.
        self.browser_left_out = 0

    def pytest_collection_finish(self, session):
        """Note the order of the checks (without pytest-xdist)."""
        self.order = {item.nodeid: place for place, item in enumerate(session.items)}

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        """Note the order of the checks (with pytest-xdist, as its workers collected them)."""
        self.order = {nodeid: place for place, nodeid in enumerate(ids)}

    def pytest_deselected(self, items):
        """Count the step's browser checks that the run leaves out."""
        self.browser_left_out += sum(
            1
            for item in items
            if item.get_closest_marker("browser") and is_learners(item, self.path)
        )

    def pytest_runtest_logreport(self, report):
        """Count each check once: failed if any of its phases failed, passed if its call did."""
        # A report carries its check's markers, also from a pytest-xdist worker.
        group = group_of(report.keywords)
        if report.failed:
            self.fail(report.nodeid, group, report)
        elif report.skipped and not hasattr(report, "wasxfail"):
            self.skipped[report.nodeid] = report.longrepr[-1] if report.longrepr else ""
        elif report.passed and report.when == "call":
            self.results.setdefault(report.nodeid, {"group": group, "passed": True})

    def pytest_collectreport(self, report):
        """A check file that cannot even be loaded counts as a technique failure."""
        if report.failed:
            self.fail(report.nodeid, "technique", report)

    def fail(self, nodeid, group, report):
        """Record a check's first failure, with what it said."""
        if self.results.get(nodeid, {}).get("passed") is False:
            return
        error, message = failure_text(report)
        self.results[nodeid] = {
            "nodeid": nodeid,
            "group": group,
            "passed": False,
            "name": check_name(nodeid),
            "error": error,
            "message": message,
        }

    def counts(self):
        """{group: (passed, total)} for technique and hardening."""
        return {
            group: (
                sum(r["passed"] for r in self.results.values() if r["group"] == group),
                sum(r["group"] == group for r in self.results.values()),
            )
            for group in GROUPS
        }

    def failures(self):
        """Every failure: technique ones first, the folder's own step's first, then in the order
        WORKSHOP.md teaches them, then in run order."""
        # An earlier step's check that fails on a new step mostly fails for the new step's
        # sake (a login is now needed): the new step's own checks say it more directly.
        own_files = {f"checks/{path.name}" for path in check_files(step_number(self.folder))}
        failed = [result for result in self.results.values() if not result["passed"]]
        sections = section_order()
        return sorted(
            failed,
            key=lambda result: (
                GROUPS.index(result["group"]),
                result["nodeid"].split("::")[0] not in own_files,
                sections.get(pointed_section(result["message"]), len(sections)),
                self.order.get(result["nodeid"], len(self.order)),
            ),
        )

    def as_dict(self):
        """What tools/progress.py needs, as JSON-ready data."""
        return {
            "folder": self.folder,
            "counts": self.counts(),
            "failures": self.failures(),
            "skipped": sorted(self.skipped.items()),
            "browser_left_out": self.browser_left_out,
        }

    def pytest_unconfigure(self, config):
        """End learner mode's output with the report, after pytest's own summary line."""
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("")
            # -m "not hardening" leaves a group out, -m hardening the technique: say so rather
            # than print 0/0 for it.
            left_out = [group for group in GROUPS if f"not {group}" in config.option.markexpr]
            if re.search(r"(?<!not )\bhardening\b", config.option.markexpr):
                left_out.append("technique")
            for line in report_lines(self.as_dict(), left_out):
                reporter.write_line(line)


def report_lines(tally, left_out=()):
    """The report of one folder: its counts, and the first thing to fix if any check fails."""
    counts = {group: tuple(numbers) for group, numbers in tally["counts"].items()}
    done = all(passed == total for passed, total in counts.values())
    figures = " · ".join(
        f"{group} not run" if group in left_out else f"{group} {passed}/{total}"
        for group, (passed, total) in counts.items()
    )
    # "done" is the whole step's word: a run that left a group out only "passed".
    status = ("passed" if left_out else "done") if done else "not yet"
    lines = [f"{tally['folder']:16} {status:8} {figures}"]
    skipped = tally.get("skipped", [])
    if skipped:
        reason = first_line(skipped[0][1].removeprefix("Skipped: "))
        checks = "check" if len(skipped) == 1 else "checks"
        lines.append(f"{'':16} skipped, not counted: {len(skipped)} {checks} ({reason})")
    left_out = tally.get("browser_left_out", 0)
    if left_out:
        checks = "check" if left_out == 1 else "checks"
        lines.append(
            f"{'':16} left out, not counted: {left_out} browser {checks}"
            " (learner mode, --step-dir, runs them)"
        )
    if tally["failures"]:
        first = tally["failures"][0]
        lines.append(f"{'':16} first to fix: {first['name']}: {first_line(first['message'])}")
    return lines


def section_order():
    """{"Step 06 · Logins that expire": its place in WORKSHOP.md, ...}: the order of reading."""
    text = (ROOT / "WORKSHOP.md").read_text()
    order, step = {}, None
    for heading in re.findall(r"^#{2,3} (.+)$", text, re.MULTILINE):
        if heading.startswith("Step "):
            step = heading.split(" · ")[0]
        elif step:
            order.setdefault(f"{step} · {heading}", len(order))
    return order


def pointed_section(message):
    """The section a failure's message says to read: "Step 06 · Logins that expire", or None."""
    pointers = POINTER.findall(message)
    return pointers[-1][len("(WORKSHOP.md, ") : -1] if pointers else None


def check_name(nodeid):
    """The name of a check without its file and parameters: test_logout_ends_the_login."""
    return nodeid.split("::")[-1].split("[")[0] or Path(nodeid).name


def failure_text(report):
    """Return (the exception's name, its message) for a failed report."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash else report.longreprtext.strip().splitlines()[-1]
    error, separator, message = text.partition(": ")
    if not separator or not re.fullmatch(r"[\w.]+", error):
        return "", text
    return error.rsplit(".", 1)[-1], message


def first_line(message):
    """The first line of a message: the sentence, without the comparison pytest adds."""
    return message.strip().splitlines()[0] if message.strip() else ""


def is_plain(failure):
    """Whether a failure says in words what is wrong and names the section of WORKSHOP.md."""
    sentence = first_line(failure["message"])
    return (
        failure["error"] in CHECK_FAILURES
        and bool(sentence)
        and not sentence.startswith("assert ")
        and bool(POINTER.search(failure["message"]))
    )
