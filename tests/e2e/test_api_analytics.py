"""`/v1/analytics/…` on the hand-made business: the figures equal the ones worked out by hand
(the same expressions as the CLI), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from regulars.bootstrap import make_app
from tests.fixtures.analytics import AS_OF, AnalyticsData
from tests.fixtures.api import new_api_key, served_app


@pytest.fixture(scope="module")
def client(request: pytest.FixtureRequest, analytics_data: AnalyticsData) -> Iterator[TestClient]:
    app = make_app(analytics_data.url)
    key = new_api_key(app, analytics_data.ctx, "analytics")
    with TestClient(served_app(request, app), raise_server_exceptions=True) as c:
        c.headers["Authorization"] = f"Bearer {key}"
        c.params = {"as_of": AS_OF.isoformat()}  # type: ignore[assignment]
        yield c
    app.close()


def test_summary_and_pareto(client: TestClient) -> None:
    s = client.get("/v1/analytics/summary").json()
    assert (s["revenue"], s["orders"], s["new_customers"]) == ("10900000", 19, 6)
    p = client.get("/v1/analytics/pareto").json()
    assert (p["top_share"], p["gini"]) == ("0.7339", "0.574")


def test_dependency_bands_and_lists(client: TestClient) -> None:
    [company] = client.get("/v1/analytics/dependency").json()
    assert (company["largest_customer"], company["band"], company["herfindahl"]) == (
        "Alpha",
        "critical",
        3602,
    )
    lapsed = client.get("/v1/analytics/lapsed").json()
    assert [r["name"] for r in lapsed] == ["Beta", "Epsilon"]
    rfm = client.get("/v1/analytics/rfm", params={"limit": 3}).json()
    assert len(rfm["customers"]) == 3 and rfm["customers"][0]["name"] == "Alpha"
    segments = {r["segment"]: r for r in client.get("/v1/analytics/segments").json()}
    assert segments["lapsed"]["customers"] == 2


def test_bad_parameters_are_422(client: TestClient) -> None:
    for path, params in (
        ("/v1/analytics/dependency", {"level": "planet"}),
        ("/v1/analytics/summary", {"days": 0}),
        ("/v1/analytics/lapsed", {"k": "many"}),
        ("/v1/analytics/summary", {"as_of": "yesterday"}),
    ):
        r = client.get(path, params=params)
        assert r.status_code == 422, (path, params, r.text)
