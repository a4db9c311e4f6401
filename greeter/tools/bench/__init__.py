"""`greeter bench`: greeter against stock Quart, a bare ASGI app and the Flask twin on two servers, side by side.

contenders (who is measured, in which scenarios) → ../servers (started on loopback) → wrk / viewers (the load)
→ rounds (interleaved, medians; CPU and memory from greeter/shared/proc.py) → report (table, ratios, JSON,
chart); run is the body of the command.
"""
