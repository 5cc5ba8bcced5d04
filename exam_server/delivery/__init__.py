"""Candidate delivery at terminals: login, the paper, autosave, submission, results."""
