"""Phone numbers as people read them. Numbers are stored in E.164 (``+79123456789``); pages show
them grouped the international way (``+7 912 345-67-89``), still a number one can dial."""

from __future__ import annotations

import phonenumbers


def readable_phone(e164: str | None) -> str:
    """The number grouped for reading; "" for none; an unparsable one as it is."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
