"""The console in-process: a signed-in browser-like client (cookies, the CSRF token of the
page it last read), for the tests that do not need a real browser."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from tests.integration.console_setup import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token = ""

    def get(self, path: str, **kwargs: object) -> Response:
        answer = self.client.get(path, **kwargs)  # type: ignore[arg-type]
        found = _TOKEN.search(answer.text)
        if found:
            self.token = found.group(1)
        return answer

    def sign_in(
        self, name: str, password: str = PASSWORD, next_page: str = "/ui/cases"
    ) -> Response:
        self.get(f"/ui/login?next={next_page}")
        return self.client.post(
            "/ui/login",
            data={"name": name, "password": password, "csrf_token": self.token, "next": next_page},
            follow_redirects=False,
        )

    def post(self, path: str, data: dict[str, object], **kwargs: object) -> Response:
        return self.client.post(
            path,
            data={"csrf_token": self.token, **data},
            follow_redirects=False,
            **kwargs,  # type: ignore[arg-type]
        )


def cases_on(page: str) -> list[str]:
    """The references of the cases a work list page offers to tick."""
    return re.findall(r'name="case" value="([^"]+)"', page)


def outcomes_on(page: str) -> list[str]:
    """The outcome lines of a decision, tags removed."""
    found = re.search(r'<ul class="results">(.*?)</ul>', page, re.S)
    lines = re.findall(r"<li>(.*?)</li>", found.group(1), re.S) if found else []
    return [re.sub(r"<[^>]+>", "", li) for li in lines]
