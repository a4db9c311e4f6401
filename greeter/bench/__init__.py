"""`greeter bench`: greeter against the bare server and the Flask twin on two servers, under wrk, side by side.

contenders (who is measured) → launch (started on loopback) → wrk / viewers (the load) → rss (their memory) →
rounds (interleaved, medians) → report (table, ratios, JSON, chart).
"""
