"""WhatsApp Cloud API: a template message to the owner's number (free-form text needs an open session)."""

from __future__ import annotations

import requests

from eslamed.core.config import Settings
from eslamed.notify.channel import DeliveryError, Target, http_failure
from eslamed.notify.message import LeadSummary, template_parameters


class WhatsApp:
    name = "whatsapp"

    def __init__(
        self,
        base_url: str,
        version: str,
        phone_number_id: str,
        token: str,
        template: str,
        language: str,
        owner_number: str,
        timeout_s: float = 10.0,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/{version}/{phone_number_id}/messages"
        self.token = token
        self.template = template
        self.language = language
        self.owner_number = owner_number
        self.timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> WhatsApp | None:
        whatsapp = settings.integrations.whatsapp
        if whatsapp is None:
            return None
        return cls(
            whatsapp.api_base,
            whatsapp.api_version,
            whatsapp.phone_number_id,
            whatsapp.token,
            whatsapp.template,
            whatsapp.template_lang,
            whatsapp.owner_number,
        )

    def targets(self) -> list[Target]:
        return [{"address": self.owner_number}]

    def payload(self, summary: LeadSummary, target: Target) -> dict:
        parameters = [{"type": "text", "text": text} for text in template_parameters(summary)]
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": target["address"].lstrip("+"),
            "type": "template",
            "template": {
                "name": self.template,
                "language": {"code": self.language},
                "components": [{"type": "body", "parameters": parameters}],
            },
        }

    def send(self, summary: LeadSummary, target: Target) -> None:
        try:
            response = requests.post(
                self.url,
                json=self.payload(summary, target),
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout_s,
            )
        except requests.RequestException as exc:
            raise DeliveryError(f"network error: {exc.__class__.__name__}") from None
        if response.status_code != 200:
            raise http_failure(response.status_code, _error(response))


def _error(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", {}).get("message", ""))
    except (ValueError, AttributeError):
        return ""
