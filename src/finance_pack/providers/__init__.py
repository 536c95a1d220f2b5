"""Adapters to the outside world (Slack, Stripe, AWS), each behind a small typed interface."""
