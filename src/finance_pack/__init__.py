"""The BlackRoad Finance Ops Pack."""

__version__ = "0.1.0"
# One line that `brctl --help` lists the pack by and `brctl finance --help` opens with.
DESCRIPTION = "Finance Ops Pack: budgets and forecasts, Stripe invoices via Slack, cost alerts."
