"""Step 01: Flask renders Brunch's index.html as a Jinja template and serves public/."""

import pytest

from conftest import AuthActions

pytestmark = pytest.mark.steps(1, 5)


def test_index_renders_the_built_front_end_as_a_template(
    client, auth, step_app_module, frontend_public
):
    auth.login()
    response = client.get("/")
    assert response.status_code == 200, "GET / should render index.html"
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    number = step_app_module.STEP_NUMBER
    assert "{{" not in page, "index.html must go through render_template, not be sent as a file"
    assert f'data-step="{number}"' in page, "the page should say which step serves it"
    assert f"<title>Step {number} · {step_app_module.STEP_TITLE}</title>" in page
    assert '<script src="/app.js">' in page, "url_for('static', ...) should link Brunch's app.js"
    assert "{{ step_number }}" in (frontend_public / "index.html").read_text()


def test_brunch_build_is_served_from_the_site_root(client):
    # A file response is streamed: close it, or the file stays open.
    with client.get("/app.js") as response:
        assert response.status_code == 200, "static_url_path='' should serve app.js at /app.js"
        assert response.mimetype in {"text/javascript", "application/javascript"}
    with client.get("/vendor.js") as response:
        assert response.status_code == 200


def test_missing_build_answers_a_page_saying_how_to_build(make_app, tmp_path):
    app = make_app(FRONTEND_PUBLIC=str(tmp_path))
    client = app.test_client()
    AuthActions(client, app).login()
    response = client.get("/")
    assert response.status_code == 503, "an unbuilt front end is a clear page, not a 500"
    assert response.mimetype == "text/html"
    assert "npm run build" in response.get_data(as_text=True)
