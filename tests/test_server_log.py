"""The suite's server-log watch (`server_log` in tests/conftest.py) must catch a real 500."""

import logging

import pytest

from app.errors import PROBLEM_JSON


def test_a_deliberately_broken_route_fails_the_log_watch(app, client, server_log):
    @app.get("/broken-on-purpose")
    def broken() -> None:
        raise RuntimeError("deliberately broken route")

    response = client.get("/broken-on-purpose")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "deliberately" not in response.text  # the client never sees the internals

    with pytest.raises(pytest.fail.Exception, match="deliberately broken route"):
        server_log.assert_clean()
    server_log.clear()  # this test's 500 was on purpose; the watch must pass again


def test_handled_errors_and_warnings_leave_the_log_clean(client, server_log):
    assert client.get("/api/v1/nope").status_code == 404
    assert client.get("/api/v1/me").status_code == 401
    logging.getLogger("jobtinder").warning("a warning without traceback")
    try:
        raise ValueError("handled and logged below ERROR")
    except ValueError:
        logging.getLogger("jobtinder").info("handled", exc_info=True)
    server_log.assert_clean()
