"""Masking for phones and ID numbers (DOMAIN.md §11): pure, so logs and exports can use it too."""

from __future__ import annotations

import hashlib
import hmac


def mask_phone(mobile: str | None) -> str:
    """'13812345678' -> '138****5678'."""
    if not mobile:
        return ""
    if len(mobile) >= 11:
        return mobile[:3] + "*" * (len(mobile) - 7) + mobile[-4:]
    # Unknown shapes (landlines, typos) are over-masked rather than half-shown.
    return _keep_last(mobile, 4)


def mask_id_number(id_number: str | None) -> str:
    """'11010519491231002X' -> '1101**********002X'."""
    if not id_number:
        return ""
    if len(id_number) >= 12:
        return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]
    return _keep_last(id_number, 4)


def _keep_last(value: str, count: int) -> str:
    if len(value) <= 2 * count:
        return "*" * len(value)
    return "*" * (len(value) - count) + value[-count:]


def keyed_hash(value: str, *, key: str) -> str:
    """HMAC-SHA256 hex: matches a customer by full ID without storing the ID.

    Callers pass the normalised value (normalise_id_number), or the same ID hashes differently.
    """
    # A plain hash of an 18-digit ID with a known structure is brute-forced in minutes; the key prevents it.
    if not key:
        raise ValueError("keyed_hash needs a non-empty key")
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
