"""Generated people, the ways others write their names, and hard negatives (issue 20,
items 1 and 2).

The names are data, not our personas: given names and surnames come from Faker's
lists per locale; per language the people get what names there have (Dutch, German,
French, Spanish, Portuguese and Italian particles; Irish Ó/Mac with the daughters'
Ní/Nic and the wives' Bean Uí/Mhic and their lenition; Spanish and Portuguese double
surnames with "y"/"e"; double-barrelled surnames; Icelandic patronymics; Hungarian
surname-first order; Greek and Bulgarian names in their script, the person giving
the Latin spelling of their passport: ELOT 743, Bulgaria's official system, written
out below independently of the matcher's tables). Each person's name is then
written the ways others write it (``mentions``), and beside it texts that hold the
name's words without naming them (``hard_negatives``): look-alike e-mail
addresses, handles that extend the person's handle, namesakes with other given
names, longer hyphenated names, names inside links.

Used by tests/matching/test_generated_names.py and ``python -m benchmarks.matching``
(recall and precision per language).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from dsr_app.matching.identity import Identity
from dsr_app.matching.names import MIN_INITIALS_SURNAME
from dsr_app.matching.rules import match_record

# language -> (Faker locale, country)
LANGUAGES = {
    "bg": ("bg_BG", "BG"),
    "cs": ("cs_CZ", "CZ"),
    "da": ("da_DK", "DK"),
    "de": ("de_DE", "DE"),
    "el": ("el_GR", "GR"),
    "es": ("es_ES", "ES"),
    "et": ("et_EE", "EE"),
    "fi": ("fi_FI", "FI"),
    "fr": ("fr_FR", "FR"),
    "ga": ("ga_IE", "IE"),
    "hr": ("hr_HR", "HR"),
    "hu": ("hu_HU", "HU"),
    "is": ("is_IS", "IS"),
    "it": ("it_IT", "IT"),
    "lt": ("lt_LT", "LT"),
    "lv": ("lv_LV", "LV"),
    "nl": ("nl_NL", "NL"),
    "no": ("no_NO", "NO"),
    "pl": ("pl_PL", "PL"),
    "pt": ("pt_PT", "PT"),
    "ro": ("ro_RO", "RO"),
    "sk": ("sk_SK", "SK"),
    "sl": ("sl_SI", "SI"),
    "sv": ("sv_SE", "SE"),
}


@dataclass(frozen=True)
class Person:
    """A generated person: their name as they give it, in parts."""

    language: str
    country: str
    given: tuple[str, ...]  # Latin, as the person writes them
    surname: tuple[str, ...]  # its words, particles and conjunction included
    movable: int = 0  # leading particles a sorted list writes after the given names
    conjunction: int = -1  # index in ``surname`` of a "y"/"e" others may leave out
    native_given: tuple[str, ...] = ()  # in Greek or Cyrillic letters
    native_surname: tuple[str, ...] = ()
    surname_first: bool = False  # the person writes the surname first (Hungarian)

    @property
    def full_name(self) -> str:
        """The name as the person gives it on the request form."""
        order = (
            self.surname + self.given
            if self.surname_first
            else self.given + self.surname
        )
        return " ".join(order)

    @property
    def handle(self) -> str:
        """Their own handle: ``given.surname`` in ASCII."""
        return f"{_slug(self.given[0])}.{_slug(self.surname[-1])}"


@dataclass(frozen=True)
class Case:
    """A text that names ``person`` (``positive``) or only looks as if it did."""

    person: Person
    kind: str
    text: str
    positive: bool


# --- names from Faker's lists -------------------------------------------------------


@cache
def _faker(locale: str):
    from faker import Faker

    return Faker(locale)


def _clean(name: str) -> bool:
    # "María del Carmen" is one given name, not three, and "Koch II" has a
    # generation suffix: left out
    return (
        bool(name)
        and all(c.isalpha() or c in " -'" for c in name)
        and not any(w[:1].islower() or w in ("Del", "De") for w in name.split()[1:])
        and not any(w.isupper() and len(w) > 1 for w in name.split())  # "Koch II"
    )


def _draw(rng: random.Random, locale: str, kind: str, female: bool) -> str:
    """A given name or surname from Faker's list for ``locale``."""
    fake = _faker(locale)
    for _ in range(50):
        fake.seed_instance(rng.getrandbits(32))
        name = getattr(fake, f"{kind}_{'female' if female else 'male'}")().strip()
        if _clean(name) and "-" not in name.strip("-")[:1]:
            return name
    raise RuntimeError(f"no clean {kind} in {locale}")  # pragma: no cover


def _fold_ascii(text: str) -> str:
    from unidecode import unidecode

    return unidecode(text)


def _slug(word: str) -> str:
    return "".join(c for c in _fold_ascii(word).lower() if c.isalnum())


# --- the person's own Latin spelling of a Greek or Bulgarian name -----------------

_ELOT = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψωϊϋ",
        "a v g d e z i th i k l m n x o p r s s t y f ch ps o i y".split(),
        strict=True,
    )
)
_ELOT_PAIRS = {"ου": "ou", "γγ": "ng", "γκ": "gk", "γξ": "nx", "γχ": "nch", "ντ": "nt"}
_VOICED = set("βγδζλμνραεηιουω")


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(
        c for c in decomposed if c in "\u0308" or not unicodedata.combining(c)
    )
    return unicodedata.normalize("NFC", kept)


def elot(word: str) -> str:
    """ELOT 743 (Greek passports): Δημήτρης -> Dimitris, Ευάγγελος -> Evangelos."""
    w, out, i = _unaccented(word.lower()), [], 0
    while i < len(w):
        pair, after = w[i : i + 2], w[i + 2 : i + 3]
        if pair in ("αυ", "ευ", "ηυ"):
            vowel = {"α": "a", "ε": "e", "η": "i"}[pair[0]]
            out.append(vowel + ("v" if after and after in _VOICED else "f"))
        elif pair in _ELOT_PAIRS:
            out.append(_ELOT_PAIRS[pair])
        elif pair == "μπ":
            out.append("b" if i == 0 else "mp")
        else:
            out.append(_ELOT.get(w[i], w[i]))
            i += 1
            continue
        i += 2
    return "".join(out).capitalize()


_BULGARIAN = dict(
    zip(
        "абвгдежзийклмнопрстуфхцчшщъьюя",
        "a b v g d e zh z i y k l m n o p r s t u f h ts ch sh sht a y yu ya".split(),
        strict=True,
    )
)


def bulgarian(word: str) -> str:
    """Bulgaria's official transliteration: Вълкова -> Valkova, Мария -> Maria."""
    w = word.lower()
    end = "ia" if w.endswith("ия") else ""
    w = w[:-2] if end else w
    return ("".join(_BULGARIAN.get(c, c) for c in w) + end).capitalize()


# --- people per language ------------------------------------------------------------

_VOWELS = set("aeiouáéíóúAEIOUÁÉÍÓÚ")


def lenite(word: str, after_nic: bool = False) -> str:
    """Irish lenition of a surname after Ní, Nic, Uí, Mhic: Briain -> Bhriain (not
    before a vowel, l, n, r, nor sc/sp/st; after Nic/Mhic not c or g)."""
    if len(word) < 2 or word[1] in "hH":
        return word
    first = word[0].lower()
    if after_nic and first in "cg":
        return word
    if first in "bcdfgmpt" or (first == "s" and word[1].lower() in "aeiouáéíóúlnr"):
        return word[0] + "h" + word[1:]
    return word


def _irish(surname: str, female: bool, rng: random.Random) -> tuple[str, ...]:
    """An Irish surname as a woman has it: Ó X -> Ní X (lenited, no h- before a
    vowel), Mac X -> Nic X; a wife's Bean Uí / Bean Mhic X."""
    words = surname.split()
    if not female or words[0] not in ("Ó", "Mac") or len(words) < 2:
        return tuple(words)
    root = words[1]
    if words[0] == "Ó" and root[:1] in "hH" and root[1:2] in _VOWELS:
        root = root[1:]  # Ó hAodha -> Ní Aodha
    nic = words[0] == "Mac"
    rest = tuple(words[2:])
    if rng.random() < 0.15:
        return ("Bean", "Mhic" if nic else "Uí", lenite(root, nic)) + rest
    return ("Nic" if nic else "Ní", lenite(root, nic)) + rest


_PARTICLES = {
    "nl": ["van", "van der", "van den", "van de", "de", "ter", "ten", "van 't"],
    "de": ["von", "von der", "zu", "von und zu", "vom"],
    "fr": ["de", "du", "de la", "Le"],
    "es": ["de", "del", "de la"],
    "pt": ["da", "dos", "de", "das", "do"],
    "it": ["De", "Di", "Del", "Della", "Lo", "La"],
    "sv": ["af", "von"],
}
_PARTICLE_ODDS = {"nl": 0.45, "de": 0.15, "fr": 0.15, "es": 0.2, "pt": 0.3}
_PARTICLE_ODDS |= {"it": 0.15, "sv": 0.05}
# Particles a list sorted by surname may write after the given names ("Berg, Anna
# van der"); the others stay ("Le Pen, Marine", "De Luca, Marco").
_MOVABLE = {
    "nl": {"van", "de", "ter", "ten"},
    "de": {"von", "zu", "vom"},
    "fr": {"de", "du"},
    "es": {"de", "del"},
    "pt": {"da", "dos", "de", "das", "do"},
    "sv": {"af", "von"},
}
_DOUBLE_BARRELLED = {"de", "fr", "pl", "cs", "sk", "sl", "hr", "nl", "ro", "fi", "da"}


def person(language: str, rng: random.Random) -> Person:
    """A person of ``language``'s country with a name of the kinds people have there."""
    locale, country = LANGUAGES[language]
    female = rng.random() < 0.5
    given = _draw(rng, locale, "first_name", female).split()  # "Anna Maria": two
    if rng.random() < 0.2:
        second = _draw(rng, locale, "first_name", female).split()
        if not {_slug(w) for w in second} & {_slug(w) for w in given}:
            given += second
    surname = _draw(rng, locale, "last_name", female)
    if language in ("el", "bg"):
        romanize = elot if language == "el" else bulgarian
        return Person(
            language,
            country,
            tuple("-".join(map(romanize, g.split("-"))) for g in given),
            tuple("-".join(map(romanize, s.split("-"))) for s in surname.split()),
            native_given=tuple(given),
            native_surname=tuple(surname.split()),
        )
    words: list[str] = list(_irish(surname, female, rng)) if language == "ga" else []
    movable, conjunction = 0, -1
    if not words:
        words = surname.split()
        if language in ("es", "pt") and rng.random() < 0.8:
            second = _draw(rng, locale, "last_name", female).split()
            if rng.random() < 0.1 and language == "es" and len(words) == 1:
                words = [f"{words[0]}-{second[-1]}"]  # García-López
            else:
                if rng.random() < 0.12:
                    conjunction = len(words)
                    words.append("y" if language == "es" else "e")
                words += second
        elif language in _DOUBLE_BARRELLED and rng.random() < 0.12 and len(words) == 1:
            other = _draw(rng, locale, "last_name", female).split()[-1]
            words = [f"{words[0]}-{other}"]  # Müller-Łukasik
        odds = _PARTICLE_ODDS.get(language, 0)
        if len(surname.split()) == 1 and rng.random() < odds:
            particle = rng.choice(_PARTICLES[language]).split()
            if language == "fr" and particle == ["de"] and words[0][0] in _VOWELS:
                words[0] = "d'" + words[0]  # d'Artagnan: one word
            else:
                words = particle + words
                if particle[0] in _MOVABLE.get(language, ()):
                    movable = len(particle)
                conjunction += len(particle) if conjunction >= 0 else 0
    return Person(
        language,
        country,
        tuple(given),
        tuple(words),
        movable=movable,
        conjunction=conjunction,
        surname_first=language == "hu",
    )


# --- how others write a name -------------------------------------------------------


def _initial(word: str) -> str:
    """J.-P. for Jean-Pierre, Z. for Zoë."""
    return "-".join(part[0] + "." for part in word.split("-") if part)


# Transliterations people type when they lack a letter.
_TYPED = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
        "ø": "oe",
        "Ø": "Oe",
        "å": "aa",
        "Å": "Aa",
        "æ": "ae",
        "Æ": "Ae",
        "ő": "oe",
        "ű": "ue",
        "đ": "dj",
        "Đ": "Dj",
        "ł": "l",
        "Ł": "L",
        "ð": "d",
        "þ": "th",
        "Þ": "Th",
    }
)
_BARE = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d"})


def _spelled(text: str, rng: random.Random) -> str:
    """``text`` in one of the spellings others use: as is, upper or lower case,
    accents dropped, or the letters typed as two (ü = ue, ø = oe, å = aa)."""
    roll = rng.random()
    if roll < 0.15:
        text = _unaccented(text).translate(_BARE)
    elif roll < 0.3:
        text = text.translate(_TYPED)
    roll = rng.random()
    if roll < 0.1:
        return text.upper()
    if roll < 0.2:
        return text.lower()
    return text


def _surname_as_written(p: Person, rng: random.Random) -> list[str]:
    """The surname's words as someone else writes them: a double surname with or
    without its hyphen, the "y" left out, Irish particles joined or apart."""
    words = list(p.surname)
    if p.conjunction >= 0 and rng.random() < 0.5:
        del words[p.conjunction]
    out: list[str] = []
    for word in words:
        out += word.split("-") if "-" in word and rng.random() < 0.3 else [word]
    if out[0] in ("Ó", "Mac") and out[1:2] != ["Uí"] and rng.random() < 0.3:
        joint = "O'" if out[0] == "Ó" else "Mac"
        out[:2] = [joint + out[1]]  # O'Briain, MacAodha
    elif len(out) > 1 and out[-1][:1] in "hnt" and out[-1][1:2].isupper():
        if rng.random() < 0.5:
            out[-1] = out[-1][0] + "-" + out[-1][1:]  # Ó h-Aodha
    return out


def _forms(p: Person) -> dict[str, Callable[[random.Random], str]]:
    """The forms that apply to ``p``, each a function of the randomness."""
    given = list(p.given)

    def given_first(rng):
        return " ".join(given + _surname_as_written(p, rng))

    def surname_first(rng):
        comma = "," if rng.random() < 0.6 else ""
        return " ".join(_surname_as_written(p, rng)) + comma + " " + " ".join(given)

    def initials(rng):
        return (
            " ".join(map(_initial, given)) + " " + " ".join(_surname_as_written(p, rng))
        )

    forms = {"given_first": given_first, "surname_first": surname_first}
    # initials only before a surname long enough (names.MIN_INITIALS_SURNAME)
    if len(_slug("".join(p.surname))) >= MIN_INITIALS_SURNAME:
        forms["initials"] = initials
    if p.movable:

        def particles_after(rng):
            core = " ".join(p.surname[p.movable :])
            return f"{core}, {' '.join(given)} {' '.join(p.surname[: p.movable])}"

        forms["particles_after"] = particles_after
    if len(given) > 1:

        def middle_initial(rng):
            middle = " ".join(map(_initial, given[1:]))
            return f"{given[0]} {middle} {' '.join(_surname_as_written(p, rng))}"

        forms["middle_initial"] = middle_initial
    if p.native_surname:
        native = list(p.native_given), list(p.native_surname)

        def native_script(rng):
            first, last = native
            roll = rng.random()
            if roll < 0.4:
                text = " ".join(first + last)
            elif roll < 0.7:
                text = " ".join(last) + ", " + " ".join(first)
            elif len(_slug("".join(p.surname))) >= MIN_INITIALS_SURNAME:
                text = " ".join(map(_initial, first)) + " " + " ".join(last)
            else:
                text = " ".join(first + last)
            return _unaccented(text).upper() if rng.random() < 0.2 else text

        forms["native_script"] = native_script
    return forms


_CONTEXTS = (
    "Met {} at the conference.",
    "Photo: {} (2024)",
    "„{}“ hat geschrieben:",
    "Merci à {} !",
    "Gracias, {}.",
    "{}: thanks for everything",
    "cc {}",
    "with {} again #tbt",
    "— {}",
    "{}'s new post is up",
    "Spotkałam {} wczoraj.",
    "[{}]",
    '"{}"',
    "{}\n\nmore later",
    "Zdjęcie: {}; więcej jutro",
)


def mentions(p: Person, rng: random.Random, count: int = 4) -> list[Case]:
    """``count`` texts that name ``p`` in the forms that apply to them."""
    forms = _forms(p)
    cases = []
    for _ in range(count):
        kind = rng.choice(sorted(forms))
        name = forms[kind](rng)
        if kind != "native_script":
            name = _spelled(name, rng)
        cases.append(Case(p, kind, rng.choice(_CONTEXTS).format(name), True))
    return cases


# --- texts that hold the name's words without naming the person ---------------------

_HANDLE_TAILS = (".studio", "_art", ".official", "2", "_photo", ".fan", "_", ".x")
_MAIL_DOMAINS = ("gmail.com", "example.eu", "studio.example", "mail.example.org")


def _other(p: Person, rng: random.Random, kind: str) -> str:
    """Another given name or surname of ``p``'s language, not one of theirs."""
    locale, _ = LANGUAGES[p.language]
    mine = {_slug(w) for w in p.given + p.surname}
    while True:
        name = _draw(rng, locale, kind, rng.random() < 0.5).split()[-1]
        if p.language in ("el", "bg"):
            name = (elot if p.language == "el" else bulgarian)(name)
        if _slug(name) not in mine and len(_slug(name)) > 1:
            return name


def hard_negatives(p: Person, rng: random.Random, count: int = 6) -> list[Case]:
    """``count`` texts with the words of ``p``'s name that do not name them."""
    first, last = _slug(p.given[0]), _slug("".join(p.surname))
    surname = " ".join(p.surname)
    given = " ".join(p.given)

    def email(rng):
        local = rng.choice(
            [
                f"{first}.{last}.studio",
                f"{first}.{last}",
                f"{last}.{first}",
                f"{first}_{last}",
                f"{first[0]}.{last}",
                f"{first}-{last}.art",
            ]
        )
        return f"Write to {local}@{rng.choice(_MAIL_DOMAINS)} for prints."

    def handle(rng):
        return f"Follow @{p.handle}{rng.choice(_HANDLE_TAILS)} for more!"

    def link(rng):
        slug, dotted = f"{first}-{last}", f"{first}.{last}"
        return rng.choice(
            [
                f"see https://example.com/people/{slug}",
                f"www.{slug}.eu is up",
                f"more at {slug}.pl/about",
                f"(https://social.example/{dotted})",
                f"http://example.org/?q={first}+{last} found it",
                f"photos: example.com/{dotted}/2024",
            ]
        )

    def namesake(rng):
        other = _other(p, rng, "first_name")
        if rng.random() < 0.5:
            return f"Met {other} {surname} today."
        return f"Met {surname}, {other} today."

    def longer_surname(rng):
        other = _other(p, rng, "last_name")
        longer = f"{surname}-{other}" if rng.random() < 0.5 else f"{other}-{surname}"
        if p.surname_first or rng.random() < 0.3:
            return f"Met {longer} {given} today."
        return f"Met {given} {longer} today."

    def longer_given(rng):
        other = _other(p, rng, "first_name")
        first_name = p.given[0]
        longer = (
            f"{other}-{first_name}" if rng.random() < 0.5 else f"{first_name}-{other}"
        )
        rest = " ".join((longer,) + p.given[1:])
        if p.surname_first or rng.random() < 0.3:
            return f"Met {surname} {rest} today."
        return f"Met {rest} {surname} today."

    kinds = {
        "email": email,
        "handle": handle,
        "link": link,
        "namesake": namesake,
        "longer_surname": longer_surname,
        "longer_given": longer_given,
    }
    cases = []
    for _ in range(count):
        kind = rng.choice(sorted(kinds))
        cases.append(Case(p, kind, _spelled(kinds[kind](rng), rng), False))
    return cases


# --- measuring ------------------------------------------------------------------------


def identity(p: Person, n: int = 0) -> Identity:
    """The person as a verified requester: their name, e-mail and handle."""
    return Identity.build(
        request_id=f"{p.language}-{n}",
        country=p.country,
        full_name=p.full_name,
        email=f"{p.handle}@mail.example",
        verified_handles=frozenset({p.handle}),
    )


def cases(language: str, rng: random.Random, people: int) -> list[Case]:
    """Mentions and hard negatives of ``people`` generated people of ``language``."""
    found = []
    for _ in range(people):
        p = person(language, rng)
        found += mentions(p, rng) + hard_negatives(p, rng)
    return found


@dataclass
class Score:
    """Recall over the mentions, precision over mentions and hard negatives."""

    positives: int = 0
    negatives: int = 0
    found: int = 0
    false: list[Case] = field(default_factory=list)
    missed: list[Case] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 1.0

    @property
    def precision(self) -> float:
        taken = self.found + len(self.false)
        return self.found / taken if taken else 1.0


def record(case: Case, n: int) -> dict:
    """The case as a manifest record."""
    return {
        "record_id": f"{case.person.language}-{n}",
        "dataset": "names",
        "dataset_version": "1",
        "text": case.text,
        "lang": case.person.language,
    }


def score(found: Iterable[Case]) -> Score:
    """Match every case against its person with the shared rules."""
    result, identities = Score(), {}
    for n, case in enumerate(found):
        me = identities.get(case.person)
        if me is None:
            me = identities[case.person] = identity(case.person)
        matches = match_record(record(case, n), me)
        if case.positive:
            result.positives += 1
            if any(m.matched_on == "name" for m in matches):
                result.found += 1
            else:
                result.missed.append(case)
        else:
            result.negatives += 1
            if matches:
                result.false.append(case)
    return result
