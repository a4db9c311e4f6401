"""`greeter course`: the teacher's commands for a course server, where every student's greeter is on a socket."""
