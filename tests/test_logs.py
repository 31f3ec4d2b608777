"""Log redaction: phones masked, secrets removed, also inside tracebacks."""

import logging

import pytest

from eslamed.core.logs import RedactFilter, mask_phones


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lead from +905321234567 stored", "lead from +90532***4567 stored"),
        ("call 0532 123 45 67 now", "call 053212***4567 now"),
        ("order 12345 and year 2026", "order 12345 and year 2026"),
        (
            "GET /api/admin/leads?q=%2B905321234567 HTTP/1.1",
            "GET /api/admin/leads?q=+90532***4567 HTTP/1.1",
        ),
        ("GET /api/x?phone=+90+532+123+45+67 HTTP/1.1", "GET /api/x?phone=+90532***4567 HTTP/1.1"),
        ("GET /api/x?p=%2B90%20532%20123%2045%2067 HTTP/1.1", "GET /api/x?p=+90532***4567 HTTP/1.1"),
        ("GET /api/x?p=%2b90%2d532%2d123%2d45%2d67&a=1", "GET /api/x?p=+90532***4567&a=1"),
        ("GET /api/x?p=0532%20123%2045%2067 HTTP/1.1", "GET /api/x?p=053212***4567 HTTP/1.1"),
        ("tel:+90 (532) 123 45 67.", "tel:+90532***4567."),
        ("Listening at: http://127.0.0.1:8000 (12345)", "Listening at: http://127.0.0.1:8000 (12345)"),
        ("Listening at: http://[::1]:8000 (4194304)", "Listening at: http://[::1]:8000 (4194304)"),
        ("Chrome/120.0.6099.144 Mobile", "Chrome/120.0.6099.144 Mobile"),
        ("at 2026-11-26 22:49:25 from 81.2.69.142", "at 2026-11-26 22:49:25 from 81.2.69.142"),
        ("uuid 0f8fad5b-d9cb-469f-a165-70867728950e", "uuid 0f8fad5b-d9cb-469f-a165-70867728950e"),
    ],
)
def test_mask_phones(text: str, expected: str) -> None:
    assert mask_phones(text) == expected


def test_filter_redacts_message_args_and_traceback() -> None:
    flt = RedactFilter(["s3cr3t-value"])
    try:
        raise ValueError("bad secret s3cr3t-value for +905321234567")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "got %s", ("s3cr3t-value",), None)
        import sys

        record.exc_info = sys.exc_info()
    assert flt.filter(record)
    assert record.getMessage() == "got [redacted]"
    assert "s3cr3t-value" not in record.exc_text and "+905321234567" not in record.exc_text
    assert "+90532***4567" in record.exc_text
