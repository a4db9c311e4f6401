"""Names are always escaped: in both apps any Unicode name comes back as `Hello {escape(name)}, nice to meet you!`."""

from __future__ import annotations

from urllib.parse import quote

from conftest import fetcher
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from greeter import create_app
from greeter.flask_twin import create_flask_app

# one app each for every example: the property is about the view, not about a fresh process
QUART, FLASK = fetcher(create_app()), fetcher(create_flask_app())
# any character a URL can carry (UTF-8: no lone surrogates) but "/", which ends the <name> segment: a name
# with one is a different path, 404 in both
NAMES = st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES)
@example(name="<img src=x onerror=alert(1)>")
@example(name="..")
@example(name="\" onmouseover='x'")
@example(name="&amp;")
@example(name="\x00")
@example(name="é€😀")
async def test_any_name_is_escaped_in_both_apps(name: str) -> None:
    expected = f"Hello {escape(name)}, nice to meet you!"
    path = "/hello/" + quote(name, safe="")
    for fetch in (QUART, FLASK):
        answer = await fetch(path)
        assert (answer.status, answer.text) == (200, expected)
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
