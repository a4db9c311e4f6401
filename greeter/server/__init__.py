"""How greeter serves: the body of `greeter` and `greeter twin`, the sockets it listens on, its workers, the
supervisor and the reloader, the banner, and the sentences for what goes wrong. Nothing here is the app."""
