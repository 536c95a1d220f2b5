"""Agents: loops composing stores, adapters and the domain (Budgeteer, Invoice Bot, ...)."""
