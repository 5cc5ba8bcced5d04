"""The proctor console: run a room from start to close."""
