"""`greeter compare`: one corpus sent to a Flask app and its Quart port (greeter's own pair by default), every
answer compared.

corpus (a TOML file: greeter's own is corpus.toml; case is one request) or url_map (a corpus made from the Flask
app's URL map) → http_client / in_process (the answers; cookies carries a sequence's cookies) → observe (what is
compared, masks) → differences (what differs on purpose) → verdict (per case; logs: what each app said) →
comparison (every case, either way) → report (table, side by side, JSON); run is the body of the command. The
apps are greeter's or a user's (greeter/tools/user_apps.py), on the real servers of greeter/tools/servers.py.
"""
