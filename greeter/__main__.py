"""`python -m greeter`: the same as the `greeter` command."""

from greeter.cli import main

main()
