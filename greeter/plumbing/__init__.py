"""Between Hypercorn and Quart: what a plain Quart app would not need, and what changes no answer of the app.

A lean ASGI connection class, believing proxies, the app made on first use, and one context processor fewer; and,
in debug mode only, what greeter does in place of Quart's debug mode (debug_mode.py): its own traceback page, the
policy's violations said in the terminal, pages that reload themselves on an edit.
"""
