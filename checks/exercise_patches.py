"""The patches under exercises/: which check each pitfall must break, and each step's extension.

Each patch is a unified diff relative to its step folder, applied with `git apply` to a copy.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from support import ROOT, STEPS_DIR

EXERCISES_DIR = ROOT / "exercises"

# The extension exercise of each step: exercises/<step>/<name>.patch is its reference solution,
# which the exercise's checks in test_exercises.py prove.
EXTENSIONS = {
    "02_jsonify": "count",
    "03_encoder": "more_types",
    "04_auth": "logout_everywhere",
    "05_methodview": "done_filter",
    "06_logins": "active_logins",
    "07_requests": "item_body_limit",
    "08_deploy": "health_check",
}
# Each pitfall patch brings one of the article's pitfalls back; the check named here runs once
# more on a copy of the step with the patch applied, and must fail there (a strict xfail). A
# [case] after the name keeps only that case of a parametrized check.
PITFALLS = {
    "01_index/pitfall_no_template_loader": (
        "test_01_index.py::test_index_renders_the_built_front_end_as_a_template"
    ),
    "02_jsonify/pitfall_raw_documents": (
        "test_02_jsonify.py::test_items_are_converted_field_by_field"
    ),
    "03_encoder/pitfall_article_fallback": "test_03_encoder.py::test_encoder_refuses_unknown_types",
    "03_encoder/pitfall_json_encoder_attribute": (
        "test_03_encoder.py::test_flask_json_provider_encodes_mongo_types"
    ),
    "04_auth/pitfall_no_wraps": "test_04_login.py::test_step_decorators_keep_the_view_name",
    "04_auth/pitfall_bcrypt_72_bytes": (
        "test_04_passwords.py::test_check_password_answers_true_or_false[73-bytes]"
    ),
    "05_methodview/pitfall_no_decorators": "test_05_methodview.py::test_every_route_needs_a_login",
    "05_methodview/pitfall_raw_objectid": (
        "test_05_methodview.py::test_ids_that_are_not_the_users_item_are_404[not-hex]"
    ),
    "05_methodview/pitfall_pymongo3_update_remove": (
        "test_05_methodview.py::test_delete_answers_204_and_the_item_is_gone"
    ),
    "06_logins/pitfall_cookie_only_logout": (
        "test_06_sessions.py::test_a_cookie_copied_before_logout_stops_working"
    ),
    "06_logins/pitfall_expiry_left_to_ttl": (
        "test_06_sessions.py::test_a_login_ends_when_its_lifetime_does"
    ),
    "07_requests/pitfall_origin_prefix": (
        "test_07_cross_site.py::test_forms_work_from_the_own_site_only[origin-our-name-as-a-prefix]"
    ),
    "08_deploy/pitfall_proxy_headers_always_trusted": (
        "test_08_proxies.py::test_a_form_through_a_tls_proxy_works_only_with_the_proxy_trusted"
        "[no-proxy]"
    ),
}
# The exercise copies made for this run: (step, patch name) -> folder.
EXERCISE_COPIES_KEY = pytest.StashKey[dict]()


def extension_folder_name(step):
    """The folder name of a step's extension exercise, as WORKSHOP.md has it: 05_done_filter."""
    return f"{step[:2]}_{EXTENSIONS[step]}"


def patched_step(step, patch_name, folder):
    """Copy steps/<step> into folder, named like a learner's (05_done_filter), and patch it."""
    copy = folder / f"{step[:2]}_{patch_name}"
    shutil.copytree(STEPS_DIR / step, copy, ignore=shutil.ignore_patterns("__pycache__"))
    patch = EXERCISES_DIR / step / f"{patch_name}.patch"
    # The ceiling keeps git from taking a repository around the copy for the patch's root.
    environment = {**os.environ, "GIT_CEILING_DIRECTORIES": str(folder)}
    result = subprocess.run(
        ["git", "apply", str(patch)], cwd=copy, env=environment, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise pytest.UsageError(
            f"{patch.relative_to(ROOT)} no longer applies to its step: update it.\n" + result.stderr
        )
    return copy


def exercise_copy(config, step, patch_name):
    """Return a copy of steps/<step> with exercises/<step>/<patch_name>.patch applied, made once."""
    copies = config.stash.setdefault(EXERCISE_COPIES_KEY, {})
    if (step, patch_name) not in copies:
        folder = Path(tempfile.mkdtemp(prefix="exercise-"))
        copies[step, patch_name] = patched_step(step, patch_name, folder)
    return copies[step, patch_name]


def remove_exercise_copies(config):
    """Remove the copies exercise_copy made."""
    for copy in config.stash.get(EXERCISE_COPIES_KEY, {}).values():
        shutil.rmtree(copy.parent, ignore_errors=True)
