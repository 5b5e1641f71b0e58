"""A letter says where its items come from and what they are (issue 18, item 2):
the sources as the manifest names them, own items and/or mentions, the
visibility as recorded (A08), and the categories actually found with only the
metadata the manifest holds (A03); in en, de and fr, in HTML and text."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.conftest import bearer
from tests.review.helpers import decide_ok, filed
from tests.review.test_letter_record import _rec, _world

LANGS = ("en", "de", "fr")


def _spaced(text: str) -> str:
    """Line breaks and runs of spaces as one space; no-break spaces kept."""
    return re.sub(r"[ \t\n]+", " ", text)


def _letters(api, created) -> tuple[str, str]:
    """(html, text) of the request's letter, no-break spaces kept."""
    url = f"/api/v1/requests/{created['id']}/letter?format="
    got = [api.get(url + f, headers=bearer(created)) for f in ("html", "txt")]
    assert [r.status_code for r in got] == [200, 200]
    return tuple(_spaced(r.get_data(as_text=True)) for r in got)


def _row(html: str, row: str) -> str:
    """The text of one row of an HTML letter, its entities read."""
    found = re.search(rf'<p data-row="{row}">(.*?)</p>', html, re.S)
    return unescape(found.group(1)) if found else ""


# Zoë's own post (facebook, public) and comment (instagram, friends only); an
# item of another naming her e-mail without source, kind or visibility, and one
# on facebook recorded as private.
MIXED = [
    _rec(
        "s-1",
        "my holiday",
        author_id="acc-1",
        kind="post",
        source="facebook",
        visibility="public",
        created_at="2025-01-31T10:00:00Z",
        lang="de",
        url="https://social.example.com/p/1",
    ),
    _rec(
        "s-2",
        "nice one",
        author_id="acc-1",
        kind="comment",
        source="instagram",
        visibility="friends",
    ),
    _rec("s-3", "write to zoe@example.eu", author_id="acc-2"),
    _rec(
        "s-4",
        "zoe@example.eu knows",
        author_id="acc-3",
        kind="caption",
        source="facebook",
        visibility="private",
    ),
]
NB = "\u00a0"
NN = "\u202f"
EXPECTED = {
    "en": [
        "Source: content you published yourself and content that other people"
        " published that mentions you.",
        "facebook (2 items); instagram (1 item); not stated (1 item).",
        "1 item was publicly visible; 2 items were not publicly visible (recorded"
        " as: visible to friends, private); for 1 item nothing is recorded.",
        "The categories of data are: your own content (posts, comments); mentions"
        " of you in other people's content (captions, kind not stated), found by:"
        " e-mail address; their metadata as our training data holds it: date,"
        " language, link.",
    ],
    "de": [
        "Herkunft: Inhalte, die Sie selbst veröffentlicht haben, und Inhalte"
        " anderer Personen, die Sie erwähnen.",
        "facebook (2 Einträge); instagram (1 Eintrag); nicht angegeben (1 Eintrag).",
        "1 Eintrag war öffentlich sichtbar; 2 Einträge waren nicht öffentlich"
        " sichtbar (erfasst als: für Freunde sichtbar, privat); für 1 Eintrag ist"
        " nichts erfasst.",
        "Die Kategorien der Daten sind: Ihre eigenen Inhalte (Beiträge, Kommentare);"
        " Erwähnungen von Ihnen in Inhalten anderer Personen (Bildunterschriften,"
        " Art nicht angegeben), gefunden über: E-Mail-Adresse; ihre Metadaten,"
        " soweit unsere Trainingsdaten sie enthalten: Datum, Sprache, Link.",
    ],
    "fr": [
        f"Source{NB}: des contenus que vous avez publiés vous-même et des contenus"
        " publiés par d'autres personnes qui vous mentionnent.",
        f"facebook (2 contenus){NN}; instagram (1 contenu){NN}; non indiqué"
        " (1 contenu).",
        f"1 contenu était visible publiquement{NN}; 2 contenus n'étaient pas"
        f" visibles publiquement (enregistrés comme{NB}: visible par les amis,"
        f" privé){NN}; pour 1 contenu, rien n'est enregistré.",
        f"Les catégories de données sont{NB}: vos propres contenus (publications,"
        f" commentaires){NN}; des mentions de vous dans les contenus d'autres"
        f" personnes (légendes, nature non indiquée), trouvées par{NB}: adresse"
        f" e-mail{NN}; leurs métadonnées, telles que nos données d'entraînement les"
        f" contiennent{NB}: date, langue, lien.",
    ],
}
# The fixed text A08 and A03 said for every case, before issue 18.
OLD = {
    "en": ("publicly visible when it was collected", "posts, comments and captions"),
    "de": ("bei der Erhebung öffentlich sichtbar.", "Beiträge, Kommentare und"),
    "fr": ("étaient publics lors de leur collecte", "publications, commentaires et"),
}


@pytest.mark.parametrize("lang", LANGS)
def test_access_letter_states_sources_visibility_and_categories_of_its_items(
    api, staff, db_path, run, tmp_path, lang
):
    _world(run, tmp_path, MIXED)
    created = filed(api, db_path, type="access", language=lang)
    decide_ok(api, staff, created, "approve")
    html, text = _letters(api, created)
    rows = _row(html, "A08") + " " + _row(html, "A03")
    for needle in EXPECTED[lang]:
        assert needle in rows, needle
        assert needle in text, needle
    for old in OLD[lang]:
        assert old not in text


PUBLIC_OWN = [
    _rec("p-1", "my holiday", author_id="acc-1", visibility="public", kind="post"),
    _rec("p-2", "again", author_id="acc-1", visibility="public", kind="post"),
]
PRIVATE_OWN = [
    _rec("q-1", "just us", author_id="acc-1", visibility="private", kind="message"),
    _rec("q-2", "friends", author_id="acc-1", visibility="friends", kind="ai_chat"),
]
# (own public items, no metadata) and (own non-public items): what each says and
# what it must not say.
SAID = {
    "en": (
        [
            "Source: content you published yourself.",
            "not stated (2 items).",
            "as recorded: 2 items were publicly visible.",
            "The categories of data are: your own content (posts).",
        ],
        ["mention", "not publicly visible", "metadata", "nothing is recorded"],
        [
            "not stated (2 items).",
            "as recorded: 2 items were not publicly visible (recorded as: visible"
            " to friends, private).",
            "your own content (AI chats, messages).",
        ],
        ["items were publicly visible", "item was publicly visible"],
    ),
    "de": (
        [
            "Herkunft: Inhalte, die Sie selbst veröffentlicht haben.",
            "nicht angegeben (2 Einträge).",
            "Aufzeichnungen: 2 Einträge waren öffentlich sichtbar.",
            "Die Kategorien der Daten sind: Ihre eigenen Inhalte (Beiträge).",
        ],
        ["Erwähnungen von Ihnen in", "nicht öffentlich", "Metadaten", "erfasst"],
        [
            "nicht angegeben (2 Einträge).",
            "Aufzeichnungen: 2 Einträge waren nicht öffentlich sichtbar (erfasst"
            " als: für Freunde sichtbar, privat).",
            "Ihre eigenen Inhalte (KI-Chats, Nachrichten).",
        ],
        ["Einträge waren öffentlich", "Eintrag war öffentlich"],
    ),
    "fr": (
        [
            f"Source{NB}: des contenus que vous avez publiés vous-même.",
            "non indiqué (2 contenus).",
            f"enregistrée{NB}: 2 contenus étaient visibles publiquement.",
            f"Les catégories de données sont{NB}: vos propres contenus (publications).",
        ],
        ["des mentions de vous", "n'étaient pas", "métadonnées", "rien n'est"],
        [
            "non indiqué (2 contenus).",
            f"enregistrée{NB}: 2 contenus n'étaient pas visibles publiquement"
            f" (enregistrés comme{NB}: visible par les amis, privé).",
            "vos propres contenus (conversations avec une IA, messages).",
        ],
        ["contenus étaient visibles", "contenu était visible"],
    ),
}


@pytest.mark.parametrize("lang", LANGS)
def test_own_public_items_without_metadata_say_only_that(
    api, staff, db_path, run, tmp_path, lang
):
    _world(run, tmp_path, PUBLIC_OWN)
    created = filed(api, db_path, type="access", language=lang)
    decide_ok(api, staff, created, "approve")
    html, text = _letters(api, created)
    rows = _row(html, "A08") + " " + _row(html, "A03")
    said, unsaid, _, _ = SAID[lang]
    for needle in said:
        assert needle in rows and needle in text, needle
    for needle in unsaid:
        assert needle not in rows, needle


@pytest.mark.parametrize("lang", LANGS)
def test_items_that_were_not_public_are_never_said_publicly_visible(
    api, staff, db_path, run, tmp_path, lang
):
    _world(run, tmp_path, PRIVATE_OWN)
    created = filed(api, db_path, type="access", language=lang)
    decide_ok(api, staff, created, "approve")
    html, text = _letters(api, created)
    rows = _row(html, "A08") + " " + _row(html, "A03")
    _, _, said, unsaid = SAID[lang]
    for needle in said:
        assert needle in rows and needle in text, needle
    for needle in unsaid:
        assert needle not in rows and needle not in text, needle


@pytest.mark.parametrize(
    ("lang", "hash_word"),
    [("en", "one-way hash"), ("de", "Einweg-Hash"), ("fr", "à sens unique")],
)
def test_objection_letter_explains_the_hash_once(
    api, staff, db_path, run, tmp_path, lang, hash_word
):
    """O07 says what we keep as a one-way hash; O03 no longer repeats it."""
    _world(run, tmp_path, PUBLIC_OWN)
    created = filed(api, db_path, type="objection", language=lang)
    decide_ok(api, staff, created, "approve")
    html, text = _letters(api, created)
    assert text.count(hash_word) == 1
    assert hash_word not in _row(html, "O03") and hash_word in _row(html, "O07")


NAMESAKE = "Ida Weißenbach"
CANDIDATES = [
    _rec(f"w-{n}", f"Gestern sprach {NAMESAKE} im Rat ({n}).") for n in range(3)
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_weak_candidates_come_with_what_was_found_and_not_with_a_refusal(
    api, staff, db_path, run, tmp_path, lang, decision
):
    """A letter that states what was found (here "no item we could attribute to
    you", D06) states the undecided candidates with it (W01); a refusal states
    what was searched and nothing found, so it has neither (docs/legal.md, "Weak
    candidates and a refusal")."""
    _world(run, tmp_path, CANDIDATES)
    created = filed(
        api,
        db_path,
        type="access",
        language=lang,
        email="ida@unknown.example",
        full_name=NAMESAKE,
    )
    reason = (
        "Die Anfrage ist offenkundig unbegründet." if decision == "reject" else None
    )
    decide_ok(api, staff, created, decision, reason)
    html, text = _letters(api, created)
    count = {
        "en": f"3 items that mention a person named {NAMESAKE}",
        "de": f"3 Einträge gefunden, die eine Person namens {NAMESAKE}",
        "fr": f"3 contenus qui mentionnent une personne nommée {NAMESAKE}",
    }[lang]
    assert 'data-row="A15"' in html  # both say what was searched
    if decision == "approve":
        assert 'data-row="W01"' in html and 'data-row="D06"' in html
        assert count in _row(html, "W01") and count in text
    else:
        for row in ("W01", "D06", "A01"):
            assert f'data-row="{row}"' not in html, row
        assert count not in text and "data-item" not in html
