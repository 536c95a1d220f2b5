"""The Budgeteer: the weekly burn-rate summary per channel, threshold alerts, the cadence SLO."""
