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


def subdivision(region: str, country: str) -> str:
    """``region`` as its ISO 3166-2 code (upper case, e.g. ``DE-BY``), checked to be
    a subdivision of ``country`` against pycountry's copy of the standard (contract
    section 5 v2: ``region``).

    :raises ValueError: not an ISO 3166-2 code, or one of another country; the
        message says which.
    """
    import pycountry  # its tables load on first use, not at import

    code = region.strip().upper()
    found = pycountry.subdivisions.get(code=code)
    if found is None:
        raise ValueError("Not an ISO 3166-2 region code (such as DE-BY).")
    if found.country_code != country.upper():
        raise ValueError(f"{code} is a region of {found.country_code}, not {country}.")
    return code
