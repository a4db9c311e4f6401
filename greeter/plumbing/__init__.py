"""Between Hypercorn and Quart: what a plain Quart app would not need.

A lean ASGI connection class, believing proxies, the app made on first use, and one context processor fewer; and,
where Hypercorn and Quart read a request otherwise than Werkzeug's server and Flask do, the request read as the
twin's are, so both apps answer the same bytes alike: the target (request_target), the routing of an odd Host or
an empty path and a static file's refusal (flask_routing), and Location sent as a URI (locations); and, in debug
mode only, what greeter does in place of Quart's debug mode (debug_mode.py): its own traceback page, the policy's
violations said in the terminal, pages that reload themselves on an edit.
"""
