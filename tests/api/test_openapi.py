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
