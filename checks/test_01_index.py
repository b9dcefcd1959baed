"""Step 01: Flask renders Brunch's index.html as a Jinja template and serves public/."""

import pytest

from answers import expect_status, said
from sections import TEMPLATE_LOADER, TEMPLATES
from support import from_step

pytestmark = pytest.mark.steps(1, 6)


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
