"""`greeter.app`: the Quart app, created on first use rather than when greeter is imported.

Hypercorn finds `greeter:app` with `eval("app", vars(module))` (hypercorn/utils.py, load_application), which reads
the module's namespace and never calls a module-level `__getattr__`: the name must exist after the import. So it
is this stand-in, created for nothing, which makes the app the first time a server calls it or code uses it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope
    from quart import Quart


class AppOnFirstUse:
    """An ASGI app standing for the one `factory` makes, made the first time it is called or used."""

    def __init__(self, factory: Callable[[], Quart]) -> None:
        self._factory = factory
        self._app: Quart | None = None

    def get(self) -> Quart:
        """The app, made now if it was not yet (a bad setting raises SettingsError here)."""
        if self._app is None:
            self._app = self._factory()
        return self._app

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        from greeter.shared.settings import SettingsError

        try:
            app = self.get()
        except SettingsError as error:
            # a server's first call (its lifespan startup): refuse as `greeter` does, one sentence, and end this
            # worker now. SystemExit raised inside the server's event loop would come out as a traceback.
            print(f"greeter: {error}", file=sys.stderr, flush=True)
            os._exit(2)
        await app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        # `greeter.app.test_client()` and the like; not the dunders that inspect and pickle probe for
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.get(), name)
