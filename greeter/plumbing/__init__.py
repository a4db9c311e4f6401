"""Between Hypercorn and Quart: what a plain Quart app would not need, and what changes no answer of the app.

A lean ASGI connection class, believing proxies, the app made on first use, and one context processor fewer.
"""
