"""One context processor too many: each Quart blueprint inherits Flask's synchronous default one.

Quart's Blueprint is built on Flask's, whose constructor registers Flask's own `_default_template_ctx_processor`
for the blueprint. In Quart it finds no Flask context (Quart's contexts are its own), so it always returns {};
but it is a plain function, so Quart runs it in a thread, on every render_template of a blueprint's view: a
trip to the thread pool and back per page. Quart's own async processor, registered on the app, already puts
`g`, `request` and `session` in every template's context.
"""

from __future__ import annotations

from flask.templating import _default_template_ctx_processor as flask_default_processor
from quart import Quart


def drop_flask_default_processors(app: Quart) -> None:
    """Remove Flask's default processor from every blueprint's list; the app's own (Quart's) stays."""
    for name, processors in app.template_context_processors.items():
        if name is not None:
            processors[:] = [processor for processor in processors if processor is not flask_default_processor]
