"""The use cases. Each is one transaction, scoped to the caller's role and site, with its audit entry."""
