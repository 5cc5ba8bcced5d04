"""Translation marker for message ids that are rendered later, in the user's language."""


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a message id for extraction and return it unchanged."""
    return message
