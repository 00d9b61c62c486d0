"""The command-line shell: parses input, calls the core or a service, renders the result."""
