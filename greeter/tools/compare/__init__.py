"""`greeter compare`: the corpus sent to the Flask twin and to the Quart app, every answer compared.

corpus.toml (the requests) → http_client / in_process (the answers) → observe (what is compared) →
differences (what differs on purpose) → verdict (per case) → comparison (every case, either way) → report
(table and JSON); run is the body of the command, and the two real servers are greeter/tools/servers.py's.
"""
