"""Exam setup: exams and parts, candidates, rooms and shifts, stored forms."""
