"""Marking strings for translation where they cannot be translated yet."""


def mark(message: str) -> str:
    """Return ``message`` unchanged; ``pybabel extract -k mark`` collects it.

    For strings that are translated later, at request time (e.g. Flask-Login's
    login message through its ``localize_callback``).
    """
    return message


def request_translations():
    """The current language's catalogue, looked up once per language per request.

    Flask-Babel's template ``_()`` finds the catalogue again on every call (a dozen
    context lookups; a page makes some fifty calls). The catalogue only changes with
    the locale object Flask-Babel keeps for the request, which ``force_locale`` and
    ``refresh`` replace, so it is kept beside that object and asked again when it
    differs."""
    from flask import g
    from flask_babel import get_translations

    if not g:
        return get_translations()
    space = g._get_current_object()
    state = getattr(space, "_flask_babel", None)
    locale = getattr(state, "babel_locale", None)
    kept = getattr(space, "_lms_translations", None)
    if locale is not None and kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    locale = getattr(getattr(space, "_flask_babel", None), "babel_locale", None)
    if locale is not None:
        space._lms_translations = (locale, translations)
    return translations


def install_template_gettext(app) -> None:
    """Templates' ``_``, ``gettext`` and ``ngettext`` through request_translations;
    a template rendered with Flask's context gets them bound to the catalogue of the
    moment it is rendered, so each call is a dictionary lookup."""
    from jinja2.ext import _make_new_gettext, _make_new_ngettext

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )

    @app.context_processor
    def bound_gettext():
        translations = request_translations()
        return {"gettext": _make_new_gettext(translations.ugettext),
                "ngettext": _make_new_ngettext(translations.ungettext)}
