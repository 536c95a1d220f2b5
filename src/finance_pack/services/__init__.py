"""Use cases: what the CLI, the API and the agents each call, so every use case exists once."""
