"""Web fixtures: a store filled through the real write path, the real app over it, and a logged-in browser."""

from __future__ import annotations

import re
import warnings

import pytest

from storage.database import Database
from tests.monitor.web.corpus import populate

TOKEN = "test-write-token-0123"
REVIEWER = "李审核"

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient warns that it still uses httpx
    from fastapi.testclient import TestClient


@pytest.fixture
def web_db(db_url: str):
    db = Database(db_url)
    populate(db)
    yield db
    db.close()


@pytest.fixture
def sqlite_web_db(sqlite_url: str):
    db = Database(sqlite_url)
    populate(db)
    yield db
    db.close()


def make_client(db) -> TestClient:
    from monitor.web import create_app

    return TestClient(create_app(db, token=TOKEN), follow_redirects=False)


@pytest.fixture
def client(web_db) -> TestClient:
    return make_client(web_db)


@pytest.fixture
def sqlite_client(sqlite_web_db) -> TestClient:
    return make_client(sqlite_web_db)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)


def log_in(client: TestClient, reviewer: str = REVIEWER) -> str:
    """Log in through the form like a browser; returns the session's CSRF token."""
    form = client.get("/login")
    response = client.post("/login", data={"token": TOKEN, "reviewer": reviewer, "csrf": hidden(form.text, "csrf"),
                                           "next": "/review"})  # fmt: skip
    assert response.status_code == 303, response.text
    page = client.get("/review")
    return hidden(page.text, "csrf")
