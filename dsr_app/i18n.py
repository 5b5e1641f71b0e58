# ruff: noqa: E501 - prose: one message per line reads better than wrapped strings
"""Texts in the languages we answer in (English, German, French) and date formats."""

from __future__ import annotations

from datetime import date

from babel import Locale
from babel.dates import format_date
from babel.units import format_unit

LANGUAGES = ("en", "de", "fr")
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français"}

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "code_subject": "Your confirmation code",
        "code_email": (
            "Hello,\n\nsomeone (we hope you) asked us about their data in AI training "
            "data. To confirm this e-mail address, enter this code:\n\n"
            "Your code: {code}\n\nIt is valid for 10 minutes. If you did not ask, "
            "ignore this message: nothing happens without the code.\n\n"
            "Follow your request here (the link works once): {link}\n"
        ),
        "code_sms": "Your confirmation code: {code} (valid 10 minutes)",
        "notice_answered_subject": "Your request has been answered",
        "notice_answered": "Hello,\n\nwe have answered your request. You can read our letter (and, for a request for access, download the copy of your data) on your request's page:\n\n{link}\n\nThe link works once; after that, it opens in the browser you used.\n",
        "notice_needs_info_subject": "We need more information for your request",
        "notice_needs_info": "Hello,\n\nto answer your request we need some more information from you. Please read our letter and answer on your request's page:\n\n{link}\n",
        "notice_extended_subject": "We need more time for your request",
        "notice_extended": "Hello,\n\nwe need more time to answer your request. Our letter with the new date is on your request's page:\n\n{link}\n",
        "type_access": "Access: what of mine is used (Art. 15)",
        "type_objection": "Objection: stop using my data for AI training (Art. 21)",
        "type_erasure": "Erasure: remove my data (Art. 17)",
        "status_pending_verification": "Waiting for your confirmation codes",
        "status_in_review": "Confirmed; our legal team is reviewing it",
        "status_needs_info": "We need more information from you",
        "status_completed": "Answered",
        "status_rejected": "Answered (refused)",
        "status_expired": "Expired: it was never confirmed",
    },
    "de": {
        "code_subject": "Ihr Bestätigungscode",
        "code_email": (
            "Guten Tag,\n\njemand (hoffentlich Sie) hat uns nach seinen Daten in "
            "KI-Trainingsdaten gefragt. Um diese E-Mail-Adresse zu bestätigen, geben "
            "Sie diesen Code ein:\n\nIhr Code: {code}\n\nEr gilt 10 Minuten. Wenn Sie "
            "nicht gefragt haben, ignorieren Sie diese Nachricht: ohne den Code "
            "geschieht nichts.\n\nIhre Anfrage verfolgen Sie hier (der Link "
            "funktioniert einmal): {link}\n"
        ),
        "code_sms": "Ihr Bestätigungscode: {code} (10 Minuten gültig)",
        "notice_answered_subject": "Ihre Anfrage wurde beantwortet",
        "notice_answered": "Guten Tag,\n\nwir haben Ihre Anfrage beantwortet. Unser Schreiben (und bei einem Auskunftsersuchen die Kopie Ihrer Daten) finden Sie auf der Seite Ihrer Anfrage:\n\n{link}\n\nDer Link funktioniert einmal; danach öffnet sich die Seite im verwendeten Browser.\n",
        "notice_needs_info_subject": "Wir brauchen weitere Angaben zu Ihrer Anfrage",
        "notice_needs_info": "Guten Tag,\n\num Ihre Anfrage zu beantworten, brauchen wir weitere Angaben. Bitte lesen Sie unser Schreiben und antworten Sie auf der Seite Ihrer Anfrage:\n\n{link}\n",
        "notice_extended_subject": "Wir brauchen mehr Zeit für Ihre Anfrage",
        "notice_extended": "Guten Tag,\n\nwir brauchen mehr Zeit für die Antwort. Unser Schreiben mit dem neuen Datum finden Sie auf der Seite Ihrer Anfrage:\n\n{link}\n",
        "type_access": "Auskunft: was von mir verwendet wird (Art. 15)",
        "type_objection": (
            "Widerspruch: meine Daten nicht mehr für KI-Training verwenden (Art. 21)"
        ),
        "type_erasure": "Löschung: meine Daten entfernen (Art. 17)",
        "status_pending_verification": "Wartet auf Ihre Bestätigungscodes",
        "status_in_review": "Bestätigt; unsere Rechtsabteilung prüft die Anfrage",
        "status_needs_info": "Wir brauchen weitere Angaben von Ihnen",
        "status_completed": "Beantwortet",
        "status_rejected": "Beantwortet (abgelehnt)",
        "status_expired": "Abgelaufen: sie wurde nie bestätigt",
    },
    "fr": {
        "code_subject": "Votre code de confirmation",
        "code_email": (
            "Bonjour,\n\nquelqu'un (vous, nous l'espérons) nous a interrogés sur ses "
            "données dans des données d'entraînement d'IA. Pour confirmer cette "
            "adresse e-mail, saisissez ce code :\n\nVotre code : {code}\n\nIl est "
            "valable 10 minutes. Si vous n'avez rien demandé, ignorez ce message : "
            "rien ne se passe sans le code.\n\nSuivez votre demande ici (le lien "
            "fonctionne une fois) : {link}\n"
        ),
        "code_sms": "Votre code de confirmation : {code} (valable 10 minutes)",
        "notice_answered_subject": "Nous avons répondu à votre demande",
        "notice_answered": "Bonjour,\n\nnous avons répondu à votre demande. Notre courrier (et, pour une demande d'accès, la copie de vos données) se trouve sur la page de votre demande :\n\n{link}\n\nLe lien fonctionne une fois ; ensuite, la page s'ouvre dans le navigateur utilisé.\n",
        "notice_needs_info_subject": "Nous avons besoin d'informations pour votre demande",
        "notice_needs_info": "Bonjour,\n\npour répondre à votre demande, nous avons besoin d'informations complémentaires. Lisez notre courrier et répondez sur la page de votre demande :\n\n{link}\n",
        "notice_extended_subject": "Nous avons besoin de plus de temps pour votre demande",
        "notice_extended": "Bonjour,\n\nnous avons besoin de plus de temps pour répondre. Notre courrier avec la nouvelle date se trouve sur la page de votre demande :\n\n{link}\n",
        "type_access": "Accès : ce qui est utilisé de mes données (art. 15)",
        "type_objection": (
            "Opposition : ne plus utiliser mes données pour entraîner l'IA (art. 21)"
        ),
        "type_erasure": "Effacement : supprimer mes données (art. 17)",
        "status_pending_verification": "En attente de vos codes de confirmation",
        "status_in_review": "Confirmée ; notre service juridique l'examine",
        "status_needs_info": "Nous avons besoin d'informations complémentaires",
        "status_completed": "Répondue",
        "status_rejected": "Répondue (refusée)",
        "status_expired": "Expirée : elle n'a jamais été confirmée",
    },
}

# Texts of the public pages, by language.
_PAGES: dict[str, dict[str, str]] = {
    "en": {
        "site_title": "Your data and AI training",
        "skip": "Skip to content",
        "lang_label": "Language",
        "footer": "GDPR requests about AI training data: access (Art. 15), "
        "objection (Art. 21), erasure (Art. 17).",
        "home_h1": "Is your data used to train AI? You can ask, object and have it "
        "erased.",
        "home_intro": "Posts, captions and comments you shared publicly, and what "
        "others wrote about you, may be in the data used to train AI "
        "models. The EU's data protection law (GDPR) gives you three "
        "rights over that use. You do not have to prove that your "
        "data is there: we search for it.",
        "home_access": "Access (Art. 15): find out what of yours is in the "
        "training data, and get a copy.",
        "home_objection": "Objection (Art. 21): tell us to stop using your data to "
        "train AI.",
        "home_erasure": "Erasure (Art. 17): have your data removed from the "
        "training data.",
        "home_free": "Requests are free. We answer within one month.",
        "home_cta": "Make a request",
        "form_h1": "Make a request",
        "form_intro": "We ask only what we need to find your data and to make sure "
        "it is you: we send a code to your e-mail address (and to "
        "your phone, if you give it).",
        "f_type": "What do you want?",
        "f_full_name": "Your full name",
        "f_email": "Your e-mail address",
        "f_phone": "Your phone number (optional)",
        "f_phone_hint": "With a phone number we can also find posts that mention "
        "it. We send it a code.",
        "f_handles": "Your usernames on the platform (optional)",
        "f_handles_hint": "Separated by spaces or commas, without @.",
        "f_country": "Country where you live",
        "f_language": "Language of our answer",
        "f_details": "Anything else we should know (optional)",
        "f_submit": "Send request",
        "f_errors": "Please correct the fields marked below.",
        "verify_h1": "Confirm it is you",
        "verify_intro": "We sent a code of 8 digits. Enter it here. Codes are "
        "valid for 10 minutes.",
        "v_email_code": "Code from the e-mail to {target}",
        "v_phone_code": "Code from the text message to {target}",
        "v_confirm": "Confirm",
        "v_resend": "Send a new code",
        "v_done": "Confirmed",
        "v_resent": "We sent a new code. The old one no longer works.",
        "v_verified": "Thank you, confirmed.",
        "v_wait": "Please try again in {wait}.",
        "v_status_link": "See the status of your request",
        "status_h1": "Your request",
        "s_type": "Request",
        "s_status": "Status",
        "s_received": "Received on",
        "s_due": "We answer by",
        "s_verified": "Confirmed",
        "s_none": "nothing yet",
        "s_channel_email": "e-mail",
        "s_channel_phone": "phone",
        "s_pending_hint": "Enter the codes we sent you to start the search.",
        "s_verify_link": "Enter the codes",
        "s_expired_hint": "Unconfirmed requests expire after 14 days. You can make "
        "a new one.",
        "s_review_hint": "We are searching the training data for your content and "
        "for mentions of you. You do not need to do anything.",
        "s_letter": "Our letter",
        "s_letter_html": "Read it",
        "s_letter_txt": "plain text",
        "s_data": "Your data (JSON)",
        "s_removals": "Removed from training data",
        "s_removed": "removed from dataset {dataset} version {version} on {date}",
        "link_expired_h1": "This link no longer works",
        "link_expired": "Links in our e-mails work once. Open the newest e-mail "
        "from us, or make a new request.",
        "open_link_intro": "Open the status of your request in this browser.",
        "open_link_button": "Show my request",
        "error_h1": "Something went wrong",
        "error_not_found": "There is nothing here, or it is not yours to see.",
    },
    "de": {
        "site_title": "Ihre Daten und KI-Training",
        "skip": "Zum Inhalt springen",
        "lang_label": "Sprache",
        "footer": "DSGVO-Anfragen zu KI-Trainingsdaten: Auskunft (Art. 15), "
        "Widerspruch (Art. 21), Löschung (Art. 17).",
        "home_h1": "Werden Ihre Daten zum Training von KI verwendet? Sie können "
        "fragen, widersprechen und löschen lassen.",
        "home_intro": "Beiträge, Bildunterschriften und Kommentare, die Sie "
        "öffentlich geteilt haben, und was andere über Sie "
        "geschrieben haben, können in den Daten stecken, mit denen "
        "KI-Modelle trainiert werden. Das EU-Datenschutzrecht "
        "(DSGVO) gibt Ihnen drei Rechte gegenüber dieser Nutzung. "
        "Sie müssen nicht beweisen, dass Ihre Daten dort sind: Wir "
        "suchen danach.",
        "home_access": "Auskunft (Art. 15): erfahren, was von Ihnen in den "
        "Trainingsdaten ist, und eine Kopie erhalten.",
        "home_objection": "Widerspruch (Art. 21): verlangen, dass wir Ihre Daten "
        "nicht mehr zum KI-Training verwenden.",
        "home_erasure": "Löschung (Art. 17): Ihre Daten aus den Trainingsdaten "
        "entfernen lassen.",
        "home_free": "Anfragen sind kostenlos. Wir antworten innerhalb eines Monats.",
        "home_cta": "Anfrage stellen",
        "form_h1": "Anfrage stellen",
        "form_intro": "Wir fragen nur, was wir brauchen, um Ihre Daten zu finden "
        "und sicherzugehen, dass Sie es sind: Wir senden einen Code "
        "an Ihre E-Mail-Adresse (und an Ihr Telefon, wenn Sie es "
        "angeben).",
        "f_type": "Was möchten Sie?",
        "f_full_name": "Ihr vollständiger Name",
        "f_email": "Ihre E-Mail-Adresse",
        "f_phone": "Ihre Telefonnummer (freiwillig)",
        "f_phone_hint": "Mit der Telefonnummer finden wir auch Beiträge, die sie "
        "nennen. Wir senden ihr einen Code.",
        "f_handles": "Ihre Benutzernamen auf der Plattform (freiwillig)",
        "f_handles_hint": "Durch Leerzeichen oder Kommas getrennt, ohne @.",
        "f_country": "Land, in dem Sie wohnen",
        "f_language": "Sprache unserer Antwort",
        "f_details": "Was wir sonst wissen sollten (freiwillig)",
        "f_submit": "Anfrage senden",
        "f_errors": "Bitte korrigieren Sie die markierten Felder.",
        "verify_h1": "Bestätigen Sie, dass Sie es sind",
        "verify_intro": "Wir haben einen 8-stelligen Code gesendet. Geben Sie ihn "
        "hier ein. Codes gelten 10 Minuten.",
        "v_email_code": "Code aus der E-Mail an {target}",
        "v_phone_code": "Code aus der SMS an {target}",
        "v_confirm": "Bestätigen",
        "v_resend": "Neuen Code senden",
        "v_done": "Bestätigt",
        "v_resent": "Wir haben einen neuen Code gesendet. Der alte gilt nicht mehr.",
        "v_verified": "Danke, bestätigt.",
        "v_wait": "Bitte versuchen Sie es in {wait} erneut.",
        "v_status_link": "Status Ihrer Anfrage ansehen",
        "status_h1": "Ihre Anfrage",
        "s_type": "Anfrage",
        "s_status": "Status",
        "s_received": "Eingegangen am",
        "s_due": "Wir antworten bis",
        "s_verified": "Bestätigt",
        "s_none": "noch nichts",
        "s_channel_email": "E-Mail",
        "s_channel_phone": "Telefon",
        "s_pending_hint": "Geben Sie die Codes ein, die wir Ihnen gesendet haben, "
        "damit die Suche beginnt.",
        "s_verify_link": "Codes eingeben",
        "s_expired_hint": "Unbestätigte Anfragen verfallen nach 14 Tagen. Sie "
        "können eine neue stellen.",
        "s_review_hint": "Wir durchsuchen die Trainingsdaten nach Ihren Inhalten "
        "und nach Erwähnungen von Ihnen. Sie müssen nichts tun.",
        "s_letter": "Unser Schreiben",
        "s_letter_html": "Lesen",
        "s_letter_txt": "Text",
        "s_data": "Ihre Daten (JSON)",
        "s_removals": "Aus den Trainingsdaten entfernt",
        "s_removed": "entfernt aus Datensatz {dataset}, Version {version}, am {date}",
        "link_expired_h1": "Dieser Link funktioniert nicht mehr",
        "link_expired": "Links in unseren E-Mails funktionieren einmal. Öffnen Sie "
        "die neueste E-Mail von uns oder stellen Sie eine neue "
        "Anfrage.",
        "open_link_intro": "Öffnen Sie den Status Ihrer Anfrage in diesem Browser.",
        "open_link_button": "Meine Anfrage anzeigen",
        "error_h1": "Etwas ist schiefgegangen",
        "error_not_found": "Hier gibt es nichts, oder es ist nicht für Sie bestimmt.",
    },
    "fr": {
        "site_title": "Vos données et l'entraînement de l'IA",
        "skip": "Aller au contenu",
        "lang_label": "Langue",
        "footer": "Demandes RGPD sur les données d'entraînement d'IA : accès (art. "
        "15), opposition (art. 21), effacement (art. 17).",
        "home_h1": "Vos données servent-elles à entraîner l'IA ? Vous pouvez "
        "demander, vous opposer et les faire effacer.",
        "home_intro": "Les publications, légendes et commentaires que vous avez "
        "partagés publiquement, et ce que d'autres ont écrit sur "
        "vous, peuvent figurer dans les données qui entraînent des "
        "modèles d'IA. Le droit européen de la protection des "
        "données (RGPD) vous donne trois droits sur cet usage. Vous "
        "n'avez pas à prouver que vos données s'y trouvent : nous "
        "les cherchons.",
        "home_access": "Accès (art. 15) : savoir ce qui vous concerne dans les "
        "données d'entraînement, et en obtenir une copie.",
        "home_objection": "Opposition (art. 21) : nous demander de ne plus "
        "utiliser vos données pour entraîner l'IA.",
        "home_erasure": "Effacement (art. 17) : faire retirer vos données des "
        "données d'entraînement.",
        "home_free": "Les demandes sont gratuites. Nous répondons sous un mois.",
        "home_cta": "Faire une demande",
        "form_h1": "Faire une demande",
        "form_intro": "Nous ne demandons que ce qu'il faut pour trouver vos "
        "données et nous assurer que c'est bien vous : nous envoyons "
        "un code à votre adresse e-mail (et à votre téléphone, si "
        "vous l'indiquez).",
        "f_type": "Que souhaitez-vous ?",
        "f_full_name": "Vos nom et prénom",
        "f_email": "Votre adresse e-mail",
        "f_phone": "Votre numéro de téléphone (facultatif)",
        "f_phone_hint": "Avec votre numéro, nous trouvons aussi les publications "
        "qui le citent. Nous lui envoyons un code.",
        "f_handles": "Vos noms d'utilisateur sur la plateforme (facultatif)",
        "f_handles_hint": "Séparés par des espaces ou des virgules, sans @.",
        "f_country": "Pays où vous vivez",
        "f_language": "Langue de notre réponse",
        "f_details": "Autre chose à nous dire (facultatif)",
        "f_submit": "Envoyer la demande",
        "f_errors": "Veuillez corriger les champs signalés ci-dessous.",
        "verify_h1": "Confirmez que c'est vous",
        "verify_intro": "Nous avons envoyé un code de 8 chiffres. Saisissez-le "
        "ici. Les codes sont valables 10 minutes.",
        "v_email_code": "Code de l'e-mail envoyé à {target}",
        "v_phone_code": "Code du SMS envoyé au {target}",
        "v_confirm": "Confirmer",
        "v_resend": "Envoyer un nouveau code",
        "v_done": "Confirmé",
        "v_resent": "Nous avons envoyé un nouveau code. L'ancien ne fonctionne plus.",
        "v_verified": "Merci, c'est confirmé.",
        "v_wait": "Veuillez réessayer dans {wait}.",
        "v_status_link": "Voir l'état de votre demande",
        "status_h1": "Votre demande",
        "s_type": "Demande",
        "s_status": "État",
        "s_received": "Reçue le",
        "s_due": "Nous répondons au plus tard le",
        "s_verified": "Confirmé",
        "s_none": "rien pour l'instant",
        "s_channel_email": "e-mail",
        "s_channel_phone": "téléphone",
        "s_pending_hint": "Saisissez les codes que nous vous avons envoyés pour "
        "lancer la recherche.",
        "s_verify_link": "Saisir les codes",
        "s_expired_hint": "Les demandes non confirmées expirent après 14 jours. "
        "Vous pouvez en faire une nouvelle.",
        "s_review_hint": "Nous cherchons dans les données d'entraînement vos "
        "contenus et les mentions de vous. Vous n'avez rien à "
        "faire.",
        "s_letter": "Notre courrier",
        "s_letter_html": "Le lire",
        "s_letter_txt": "texte",
        "s_data": "Vos données (JSON)",
        "s_removals": "Retiré des données d'entraînement",
        "s_removed": "retiré du jeu de données {dataset}, version {version}, le {date}",
        "link_expired_h1": "Ce lien ne fonctionne plus",
        "link_expired": "Les liens de nos e-mails fonctionnent une fois. Ouvrez "
        "notre e-mail le plus récent, ou faites une nouvelle "
        "demande.",
        "open_link_intro": "Ouvrez l'état de votre demande dans ce navigateur.",
        "open_link_button": "Afficher ma demande",
        "error_h1": "Une erreur s'est produite",
        "error_not_found": "Il n'y a rien ici, ou ce n'est pas à vous.",
    },
}
for _lang, _texts in _PAGES.items():
    _TEXTS[_lang].update(_texts)


def language(code: str | None) -> str:
    """A supported language for a BCP 47 code (``de-AT`` → ``de``); default English."""
    primary = (code or "").split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else "en"


def text(lang: str, key: str, **values: str) -> str:
    """The text ``key`` in ``lang`` (English if missing), with ``values`` filled in."""
    template = _TEXTS.get(lang, _TEXTS["en"]).get(key) or _TEXTS["en"][key]
    return template.format(**values) if values else template


def country_names(codes, lang: str) -> list[tuple[str, str]]:
    """(code, name in ``lang``) pairs sorted by name: ``("DE", "Deutschland")``."""
    territories = Locale.parse(language(lang)).territories
    return sorted(((c, territories.get(c, c)) for c in codes), key=lambda p: p[1])


def wait_words(seconds: int, lang: str) -> str:
    """A wait in words: ``45 seconds`` under a minute, else whole minutes rounded
    up (``2 minutes`` for 61 s), so a page never tells anyone to come back early."""
    if seconds < 60:
        return format_unit(seconds, "duration-second", "long", locale=language(lang))
    minutes = -(-seconds // 60)
    return format_unit(minutes, "duration-minute", "long", locale=language(lang))


def long_date(day: date, lang: str) -> str:
    """``31 January 2025`` / ``31. Januar 2025`` / ``31 janvier 2025``."""
    return format_date(day, format="long", locale=language(lang))
