"""`python -m greeter`: the same as the `greeter` command."""

from greeter.command import main

main()
