"""Autograding: JUnit XML that names each check's group and step."""

import re
import shutil
import sys
import xml.etree.ElementTree as ElementTree

from servers import run
from support import ROOT, STEPS_DIR


def test_junit_xml_names_each_checks_group_and_step(tmp_path):
    # Learner mode on a copy of a step, one check file (one process, a second or two): step
    # 02's checks on step 03 are both technique and hardening.
    folder = shutil.copytree(STEPS_DIR / "03_encoder", tmp_path / "03_encoder")
    report = tmp_path / "report.xml"
    command = ["checks/test_02_jsonify.py", "--step-dir", str(folder), "-m", "not browser"]
    options = ["--junitxml", str(report), "-p", "no:cacheprovider"]
    result = run([sys.executable, "-m", "pytest", *command, *options], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    cases = list(ElementTree.parse(report).getroot().iter("testcase"))
    properties = [
        {prop.get("name"): prop.get("value") for prop in case.iter("property")} for case in cases
    ]
    assert cases, "the XML has a test case per check"
    assert all(found.get("step") == "03_encoder" for found in properties), (
        f"each test case names its step folder in its <properties>: {properties[:3]}"
    )
    groups = [found.get("group") for found in properties]
    counts = re.search(r"technique (\d+)/\d+ · hardening (\d+)/\d+", result.stdout)
    assert counts, result.stdout
    assert [groups.count("technique"), groups.count("hardening")] == [
        int(counts[1]),
        int(counts[2]),
    ], f"the XML's groups are the report's counts: {groups}\n{result.stdout}"
