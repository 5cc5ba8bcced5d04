"""Room records: staff assignments, check-in, incidents, sanctions, retakes."""
