"""Meta's side of the WhatsApp Cloud API webhook (and a VoIP provider's call notice), as test code.

Bodies have the shape Meta documents for `messages` notifications; they are signed like Meta signs
them (X-Hub-Signature-256: sha256=HMAC of the raw bytes with the app secret) and posted as raw bytes.
"""

from __future__ import annotations

import json
import time

import requests

from eslamed.inbound.signature import sign
from tests.support.leads import form_lead, post_lead

APP_SECRET = "meta-app-secret-0123456789"
VERIFY_TOKEN = "verify-token-abc123"
CALL_SECRET = "call-secret-0123456789"
PHONE_NUMBER_ID = "106540352242922"
BUSINESS_NUMBER = "905325550123"
REF = "K7Q2M"


def inbound_env() -> dict[str, str]:
    return {
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "CALL_WEBHOOK_SECRET": CALL_SECRET,
    }


def _change(value: dict) -> dict:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": BUSINESS_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def text_message(sender: str, text: str, message_id: str, name: str = "Mehmet Demir") -> dict:
    return _change(
        {
            "contacts": [{"profile": {"name": name}, "wa_id": sender}],
            "messages": [
                {
                    "from": sender,
                    "id": message_id,
                    "timestamp": str(int(time.time())),
                    "text": {"body": text},
                    "type": "text",
                }
            ],
        }
    )


def status_update(recipient: str, message_id: str) -> dict:
    return _change(
        {
            "statuses": [
                {
                    "id": message_id,
                    "status": "delivered",
                    "timestamp": str(int(time.time())),
                    "recipient_id": recipient,
                    "conversation": {"id": "CONVERSATION_ID", "origin": {"type": "utility"}},
                    "pricing": {"billable": True, "pricing_model": "CBP", "category": "utility"},
                }
            ]
        }
    )


def post_signed(
    url: str, payload: dict, secret: str, header: str, signature: str | None = ""
) -> requests.Response:
    """`signature=None` sends none; "" signs correctly; anything else is sent as given."""
    raw = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
    if signature is not None:
        headers[header] = signature or sign(raw, secret)
    return requests.post(url, data=raw, headers=headers, timeout=15)


def deliver(base_url: str, payload: dict, signature: str | None = "") -> requests.Response:
    return post_signed(
        f"{base_url}/api/webhooks/whatsapp", payload, APP_SECRET, "X-Hub-Signature-256", signature
    )


def call_notice(base_url: str, body: dict, signature: str | None = "") -> requests.Response:
    return post_signed(f"{base_url}/api/webhooks/call", body, CALL_SECRET, "X-Signature-256", signature)


def whatsapp_tap(base_url: str, gclid: str, ref: str = REF) -> str:
    """The lead tracking.js posts when a visitor taps WhatsApp: no name or phone yet, only the ref code."""
    body = form_lead(
        source="whatsapp",
        name="",
        phone="",
        message="",
        ref=ref,
        gclid=gclid,
        url=f"https://eslamed.example/fiyat?gclid={gclid}",
        variant="fiyat",
        fill_ms=None,
    )
    assert post_lead(base_url, body).status_code == 201
    return body["lead_id"]
