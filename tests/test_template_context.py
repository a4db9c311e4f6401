"""Rendering a page runs nothing in a thread: Flask's sync default context processor is off the blueprints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.templating import _default_template_ctx_processor as flask_default_processor
from quart import Quart


def test_no_blueprint_keeps_flasks_default_processor(app: Quart) -> None:
    assert app.blueprints  # greeter's views are in blueprints, which is where Flask's processor came from
    for name, processors in app.template_context_processors.items():
        assert flask_default_processor not in processors, name
    assert app.template_context_processors[None]  # Quart's own (async) one stays


@pytest.mark.parametrize("path", ["/greet/", "/process/"])
async def test_a_page_renders_without_a_thread(app: Quart, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    def no_thread(func: Callable[..., Any]) -> Callable[..., Any]:
        raise AssertionError(f"{func.__name__} would run in a thread")

    monkeypatch.setattr(app, "sync_to_async", no_thread)
    response = await app.test_client().get(path)
    assert response.status_code == 200
    assert "<html" in (await response.get_data(as_text=True))
