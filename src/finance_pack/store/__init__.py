"""The state store: invoices, outbox, alerts, agent runs, role bindings, tokens, audit log."""
