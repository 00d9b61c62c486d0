from pathlib import Path

from cartrial.api.app import openapi_text
from tests.api.conftest import Api

COMMITTED = Path(__file__).parents[2] / "docs" / "openapi.json"


def test_committed_openapi_document_is_the_apps() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi_text(), (
        "docs/openapi.json is stale: run `cartrial openapi > docs/openapi.json`"
    )


def test_the_app_serves_its_document(api: Api) -> None:
    served = api.client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.text.replace(" ", "").replace("\n", "") == openapi_text().replace(" ", "").replace("\n", "")
