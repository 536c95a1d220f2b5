"""Local stand-ins for the outside world: the Slack emulator (and later Stripe and AWS)."""
