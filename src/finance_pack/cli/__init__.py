"""`brctl finance ...`: one module per command group."""
