"""Step 01: Flask renders Brunch's index.html as a Jinja template and serves public/."""

import pytest

from support import AuthActions, from_step

pytestmark = pytest.mark.steps(1, 5)

TEMPLATES = "WORKSHOP.md, Step 01 · Brunch's output as Flask's static folder and templates"


def test_index_renders_the_built_front_end_as_a_template(
    client, logged_in_user, step_dir, frontend_public
):
    response = client.get("/")
    assert response.status_code == 200, "GET / should render index.html"
    assert response.mimetype == "text/html", "the index is an HTML page"
    page = response.get_data(as_text=True)
    number = from_step(step_dir, "STEP_NUMBER")
    assert "{{" not in page, "index.html must go through render_template, not be sent as a file"
    assert f'data-step="{number}"' in page, "the page should say which step serves it"
    assert f"<title>Step {number} · {from_step(step_dir, 'STEP_TITLE')}</title>" in page, (
        f"render_template should fill in the step's number and title ({TEMPLATES})"
    )
    assert '<script src="/app.js">' in page, "url_for('static', ...) should link Brunch's app.js"
    assert "{{ step_number }}" in (frontend_public / "index.html").read_text(), (
        "frontend/public/index.html is Brunch's build, a template: rebuild it with make frontend"
    )


@pytest.mark.parametrize("path", ["/app.js", "/vendor.js"])
def test_brunch_build_is_served_from_the_site_root(client, path):
    # A file response is streamed: close it, or the file stays open.
    with client.get(path) as response:
        assert response.status_code == 200, f"static_url_path='' should serve {path} at {path}"
        assert response.mimetype in {"text/javascript", "application/javascript"}, (
            f"{path} is served as JavaScript"
        )


def test_missing_build_answers_a_page_saying_how_to_build(make_app, user, tmp_path):
    app = make_app(FRONTEND_PUBLIC=str(tmp_path))
    auth = AuthActions(app)
    auth.login()
    response = auth.client.get("/")
    assert response.status_code == 503, "an unbuilt front end is a clear page, not a 500"
    assert response.mimetype == "text/html", "a page a browser shows"
    assert "npm run build" in response.get_data(as_text=True), (
        "the page should say how to build the front end: npm run build"
    )
