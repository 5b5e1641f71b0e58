"""EU/EEA countries: the ones a requester may name, with their time zones."""

from __future__ import annotations

# ISO 3166-1 alpha-2 (Greece is GR) -> IANA time zone of the capital.
EU_EEA_TIMEZONES: dict[str, str] = {
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "BG": "Europe/Sofia",
    "HR": "Europe/Zagreb",
    "CY": "Asia/Nicosia",
    "CZ": "Europe/Prague",
    "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "DE": "Europe/Berlin",
    "GR": "Europe/Athens",
    "HU": "Europe/Budapest",
    "IE": "Europe/Dublin",
    "IT": "Europe/Rome",
    "LV": "Europe/Riga",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "MT": "Europe/Malta",
    "NL": "Europe/Amsterdam",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SK": "Europe/Bratislava",
    "SI": "Europe/Ljubljana",
    "ES": "Europe/Madrid",
    "SE": "Europe/Stockholm",
    # EEA members outside the EU.
    "IS": "Atlantic/Reykjavik",
    "LI": "Europe/Vaduz",
    "NO": "Europe/Oslo",
}
EU_EEA = frozenset(EU_EEA_TIMEZONES)
# Phone numbering regions (phonenumbers' region codes) of the EU/EEA, which has
# parts with a region code of their own: Åland (Finland) and France's outermost
# regions (Art. 349 TFEU). The default of DSR_SMS_REGIONS ("EU_EEA").
EU_EEA_PHONE_REGIONS = EU_EEA | {"AX", "GF", "GP", "MF", "MQ", "RE", "YT"}
