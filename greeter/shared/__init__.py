"""Plain Python that both apps and the command use: settings, security headers, the process's figures, wait times,
where greeter's files are, its errors and /proc. No framework here."""
