"""The entity types the detector emits, their merge priority, and Presidio's names for them."""

from __future__ import annotations

# Every type we redact. ORGANIZATION, DATE_TIME, NRP, AGE, TITLE and URLs are business data in this
# domain (customer and partner names, go-live dates), not personal data.
REDACTED_ENTITY_TYPES: frozenset[str] = frozenset(
    {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "LOCATION",
        "IBAN_CODE",
        "SWIFT_CODE",
        "CREDIT_CARD",
        "IP_ADDRESS",
        "DATE_OF_BIRTH",
        "US_SSN",
        "NATIONAL_ID",
        "PASSPORT",
        "DRIVER_LICENSE",
    }
)

# When detections overlap, validated identifiers win over model guesses, so an e-mail inside a
# "person" stays an e-mail.
ENTITY_PRIORITY: tuple[str, ...] = (
    "EMAIL_ADDRESS",
    "IBAN_CODE",
    "CREDIT_CARD",
    "US_SSN",
    "NATIONAL_ID",
    "IP_ADDRESS",
    "SWIFT_CODE",
    "DATE_OF_BIRTH",
    "PASSPORT",
    "DRIVER_LICENSE",
    "PHONE_NUMBER",
    "PERSON",
    "LOCATION",
)

# Types whose value is checked (checksum, structure) and keep their type when merged.
VALIDATED_TYPES: frozenset[str] = frozenset(
    {"EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "US_SSN", "NATIONAL_ID", "IP_ADDRESS", "SWIFT_CODE"}
)

# Presidio's own entity names -> ours (country-specific identifiers become NATIONAL_ID).
PRESIDIO_TYPE_MAP: dict[str, str] = {
    "UK_NINO": "NATIONAL_ID",
    "IN_PAN": "NATIONAL_ID",
    "IN_AADHAAR": "NATIONAL_ID",
    "ES_NIF": "NATIONAL_ID",
    "ES_NIE": "NATIONAL_ID",
    "DE_TAX_ID": "NATIONAL_ID",
    "IT_FISCAL_CODE": "NATIONAL_ID",
    "PL_PESEL": "NATIONAL_ID",
    "US_DRIVER_LICENSE": "DRIVER_LICENSE",
    "UK_DRIVING_LICENCE": "DRIVER_LICENSE",
    "US_PASSPORT": "PASSPORT",
    "UK_PASSPORT": "PASSPORT",
    "IN_PASSPORT": "PASSPORT",
    "ES_PASSPORT": "PASSPORT",
    "DE_PASSPORT": "PASSPORT",
}


def our_type(presidio_type: str) -> str:
    """Our name for a Presidio entity type (unchanged when it is already ours)."""
    return PRESIDIO_TYPE_MAP.get(presidio_type, presidio_type)


def priority(entity_type: str) -> int:
    """Rank in ENTITY_PRIORITY (unknown types last)."""
    try:
        return ENTITY_PRIORITY.index(entity_type)
    except ValueError:
        return len(ENTITY_PRIORITY)
