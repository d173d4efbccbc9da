"""Marking strings for translation where they cannot be translated yet."""


def mark(message: str) -> str:
    """Return ``message`` unchanged; ``pybabel extract -k mark`` collects it.

    For strings that are translated later, at request time (e.g. Flask-Login's
    login message through its ``localize_callback``).
    """
    return message
