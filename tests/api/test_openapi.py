from pathlib import Path

from sqlalchemy.orm import sessionmaker

from cartrial.api import create_app
from cartrial.api.app import openapi_text
from tests.api.conftest import NOW, TestClient

COMMITTED = Path(__file__).parents[2] / "docs" / "openapi.json"


def test_committed_openapi_document_is_the_apps() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi_text(), (
        "docs/openapi.json is stale: run `cartrial openapi > docs/openapi.json`"
    )


def test_the_app_serves_its_document() -> None:
    app = create_app(sessionmaker(), lambda: NOW)
    with TestClient(app) as client:
        served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.text.replace(" ", "").replace("\n", "") == openapi_text().replace(" ", "").replace("\n", "")


def test_a_method_a_path_lacks_is_405_allowing_every_method_the_path_has() -> None:
    # Found by the fuzz (allow_header_conformance): Allow named only the first route of the path.
    app = create_app(sessionmaker(), lambda: NOW)
    with TestClient(app) as client:
        answers = {
            (method, path): (response.status_code, response.headers["Allow"], response.json())
            for method, path in [
                ("OPTIONS", "/api/v1/sites"),
                ("DELETE", "/api/v1/subjects/1/records/lab"),
                ("GET", "/api/v1/auth/login"),
            ]
            for response in [client.request(method, path)]
        }
    refusal = {"detail": "Method Not Allowed"}
    assert answers == {
        ("OPTIONS", "/api/v1/sites"): (405, "GET, POST", refusal),
        ("DELETE", "/api/v1/subjects/1/records/lab"): (405, "GET, POST", refusal),
        ("GET", "/api/v1/auth/login"): (405, "POST", refusal),
    }
