"""The language of the pages: asked for (``?lang=``), remembered in the session,
or the browser's; and what every template gets to show text in it."""

from __future__ import annotations

from flask import current_app, request, session

from dsr_app import letter_facts
from dsr_app.i18n import LANGUAGE_NAMES, LANGUAGES, messages, text, wait_words


def current_language() -> str:
    """``?lang=`` (remembered), else the session's, else the browser's, else en."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    best = request.accept_languages.best_match(LANGUAGES)
    return best or "en"


def page_context() -> dict:
    """Template values of every page: its language, the choices, ``t(key)``, the
    controller, and an error's words in the page's language (``error_text``,
    ``status_text``)."""
    lang = current_language()
    return {
        "lang": lang,
        "languages": LANGUAGE_NAMES,
        "t": lambda key, **values: text(lang, key, **values),
        # Who runs the service, as its letters name it (issue 21, item 3).
        "controller": letter_facts.controller(current_app.config, lang),
        "has_logo": bool(current_app.config.get("CONTROLLER_LOGO")),
        "error_text": lambda message: messages.known(message, lang),
        "status_text": lambda status: messages.status_text(status, lang),
        # A refusal's wait in words, as its Retry-After says it (issue 20, item 5).
        "wait_text": lambda seconds: text(
            lang, "v_wait", wait=wait_words(seconds, lang)
        ),
    }
