"""Step 01: Flask renders Brunch's index.html as a Jinja template and serves public/."""

import pytest

from harness.answers import expect_status, said
from harness.apps import from_step
from harness.sections import (
    STEP01_CONTRACT,
    STEP02_MODULES,
    STEP03_MODULES,
    STEP04_MODULES,
    STEP05_MODULES,
    STEP06_MODULES,
    STEP07_MODULES,
    STEP08_MODULES,
    TEMPLATE_LOADER,
    TEMPLATES,
)
from harness.steps import step_number

pytestmark = pytest.mark.steps(1, 8)

# Where each step's text gives the number and title its app.py sets.
NAMED_IN = {
    1: STEP01_CONTRACT,
    2: STEP02_MODULES,
    3: STEP03_MODULES,
    4: STEP04_MODULES,
    5: STEP05_MODULES,
    6: STEP06_MODULES,
    7: STEP07_MODULES,
    8: STEP08_MODULES,
}


def test_step_number_is_the_folders(step_dir):
    # A copy of the step before keeps its number: the page, and the database, would be its.
    expected = f"{step_number(step_dir):02d}"
    number = from_step(step_dir, "STEP_NUMBER")
    assert number == expected, (
        f"{step_dir.name} is step {expected}: its app.py sets STEP_NUMBER = {expected!r}, and"
        f" STEP_TITLE to the step's title; STEP_NUMBER is {number!r}"
        f" ({NAMED_IN[step_number(step_dir)]})"
    )


@pytest.mark.pitfall("pitfall_no_template_loader")
def test_index_renders_the_built_front_end_as_a_template(
    client, logged_in_user, step_dir, frontend_public
):
    response = expect_status(client.get("/"), 200, "GET / (index.html)", TEMPLATE_LOADER)
    assert response.mimetype == "text/html", f"the index is an HTML page ({TEMPLATES})"
    page = response.get_data(as_text=True)
    number = from_step(step_dir, "STEP_NUMBER")
    assert "{{" not in page, (
        f"index.html must go through render_template, not be sent as a file ({TEMPLATES})"
    )
    assert f'data-step="{number}"' in page, (
        f'the page should say which step serves it, data-step="{number}" ({TEMPLATES})'
    )
    assert f"<title>Step {number} · {from_step(step_dir, 'STEP_TITLE')}</title>" in page, (
        f"render_template should fill in the step's number and title ({TEMPLATES})"
    )
    assert '<script src="/app.js">' in page, (
        f"url_for('static', ...) should link Brunch's app.js at /app.js ({TEMPLATES})"
    )
    assert "{{ step_number }}" in (frontend_public / "index.html").read_text(), (
        "frontend/public/index.html is Brunch's build, a template: rebuild it with make frontend"
        f" ({TEMPLATES})"
    )


@pytest.mark.parametrize("path", ["/app.js", "/vendor.js"])
def test_brunch_build_is_served_from_the_site_root(client, path):
    # A file response is streamed: close it, or the file stays open.
    with client.get(path) as response:
        assert response.status_code == 200, (
            f"static_url_path='' should serve {path} at {path}; it answered {said(response)}"
            f" ({TEMPLATES})"
        )
        assert response.mimetype in {"text/javascript", "application/javascript"}, (
            f"{path} is served as JavaScript, not {response.mimetype} ({TEMPLATES})"
        )


def test_missing_build_answers_a_page_saying_how_to_build(make_app, auth_actions, user, tmp_path):
    app = make_app(FRONTEND_PUBLIC=str(tmp_path))
    auth = auth_actions(app)
    auth.login()
    response = expect_status(auth.client.get("/"), 503, "GET / with no front end built", TEMPLATES)
    assert response.mimetype == "text/html", (
        f"an unbuilt front end gets a page a browser shows, frontend_missing.html ({TEMPLATES})"
    )
    assert "npm run build" in response.get_data(as_text=True), (
        f"the page should say how to build the front end: npm run build ({TEMPLATES})"
    )
