"""The Invoice Bot: Stripe invoices delivered through Slack, exactly once."""

from finance_pack.agents.invoice_bot.bot import InvoiceBot

__all__ = ["InvoiceBot"]
