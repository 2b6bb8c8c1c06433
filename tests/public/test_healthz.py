"""/healthz tells a load balancer whether this instance can reach its database."""

import pytest
from django.db import OperationalError

from openiop.public import views

pytestmark = pytest.mark.django_db


def test_it_reports_a_healthy_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_it_runs_one_query_that_touches_no_table(client, django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        client.get("/healthz")

    [query] = captured.captured_queries
    assert query["sql"].strip().upper() == "SELECT 1"


def test_it_is_never_cached(client):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_it_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    class UnreachableDatabase:
        vendor = "postgresql"

        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(views, "connection", UnreachableDatabase())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error", "database": "unavailable", "database_vendor": "postgresql"
    }


def test_it_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
