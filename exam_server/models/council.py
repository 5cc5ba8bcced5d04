"""Council records: decisions, result approvals, signed bundles."""
