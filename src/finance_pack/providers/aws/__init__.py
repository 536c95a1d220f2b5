"""AWS adapters: Cost Explorer, CloudWatch billing metrics, and the access check for doctor."""
