"""greeter's own traceback page under --debug, in place of Quart's (quart/debug.py), which a student cannot trust:

- it renders a bare jinja2.Template, which escapes nothing (quart/debug.py:112): `@bp.route("/bye/<name>")` shows
  as `@bp.route("/bye/")`, a local `<quart.app.Quart object at ...>` as nothing (:77-80), a name from the URL as
  raw HTML;
- its line numbers are `loop.index + first_line`, and loop.index counts from 1: every line is numbered one too
  high, and the highlighted line is the one above the error (:69, :71);
- it takes each frame's f_lineno (:104), which for a frame still running is where it is now, not where the error
  passed; and it names no function (:65).

This page is escaped everywhere, numbers lines from tb_lineno, marks the expression that failed, shows the
student's frames first and open, the libraries' folded, the request, and a hint for the common mistakes:
frames.py makes what it shows, hints.py the hints, page.py renders page.html. Which frames are the student's is
greeter/shared/paths.py's rule (is_students_code).
"""

from __future__ import annotations

from quart import Quart, Response, current_app
from werkzeug.exceptions import HTTPException, InternalServerError

from greeter.plumbing.debug_page.page import PAGE, debug_response, render_start_failure

__all__ = ["PAGE", "render_start_failure", "show_errors_on_the_page"]


def show_errors_on_the_page(app: Quart) -> None:
    """In debug mode, a request that fails answers greeter's page, inside the request, with the app's headers."""
    # Quart re-raises a view's exception in debug mode and builds its page outside the request
    # (quart/asgi.py:394, _handle_exception), past every after_request hook: an errorhandler builds it inside.
    # An error past the view (a coroutine returned for `return render_template(...)`, an after_request hook)
    # goes to Quart's handle_exception, not to an errorhandler; not propagated (quart/app.py:1080), it comes
    # back here as a 500 whose original_exception is the error, still inside the request, and Quart logged it.
    if app.config["PROPAGATE_EXCEPTIONS"] is None:
        app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.errorhandler(Exception)
    async def debug_page(error: Exception) -> Response | HTTPException:
        if isinstance(error, InternalServerError) and isinstance(error.original_exception, Exception):
            return await debug_response(error.original_exception)
        if isinstance(error, HTTPException):  # a 404 or 405 is an answer, not a bug: as without debug
            return error
        # Quart's own log line, as without debug: `ERROR in app: Exception on request GET /...`
        current_app.log_exception((type(error), error, error.__traceback__))  # type: ignore[arg-type]
        return await debug_response(error)
