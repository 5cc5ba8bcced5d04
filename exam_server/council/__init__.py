"""Council: results compilation, reports, item statistics pages and audit verification."""
