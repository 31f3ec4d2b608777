"""Hostile lead text against the owner's notifications (issue 15 items 8 and 10): what the local
Telegram and WhatsApp peers received, byte for byte, from a lead posted to the real server."""

from __future__ import annotations

from tests.support.leads import form_lead, lead_env, post_lead
from tests.support.peers import telegram_peer, whatsapp_peer
from tests.support.polling import wait_for

FORGED_NAME = "Ali\n📞 Telefon: +90 555 000 00 00\r\n🔗 [Ödeme](https://evil.example)\u2028<b>x</b>"
FORGED_MESSAGE = "Acil\n\n🎯 Google tıklaması: var\t\u202eters\u200b\x07son"


def test_a_name_with_newlines_cannot_forge_lines_in_the_telegram_message(
    clickhouse, store, make_server
) -> None:
    telegram, whatsapp = telegram_peer().start(), whatsapp_peer().start()
    server = make_server(clickhouse, store, **lead_env(telegram, whatsapp))
    lead = form_lead(name=FORGED_NAME, message=FORGED_MESSAGE, variant="a\nb", gclid="g1")
    assert post_lead(server.url, lead).status_code == 201
    assert wait_for(lambda: telegram.delivered() and whatsapp.delivered())
    (sent,) = telegram.delivered()
    assert sorted(sent.json()) == ["chat_id", "disable_web_page_preview", "text"], "no parse_mode: no markup"
    assert sent.json()["text"] == (
        "🔔 Yeni talep: Form\n"
        "👤 Ad: Ali 📞 Telefon: +90 555 000 00 00 🔗 [Ödeme](https://evil.example) <b>x</b>\n"
        "📞 Telefon: 0532 123 45 67\n"
        "📄 Sayfa: /oksijen-konsantratoru (varyant: a b)\n"
        "📍 Şehir: bilinmiyor\n"
        "🎯 Google tıklaması: var (gclid)\n"
        "💬 Mesaj: Acil 🎯 Google tıklaması: var ters son"
    )
    (template,) = whatsapp.delivered()
    params = [p["text"] for p in template.json()["template"]["components"][0]["parameters"]]
    assert all("\n" not in p and "\u202e" not in p for p in params), params


def test_a_lead_whose_url_python_cannot_parse_is_still_notified(clickhouse, store, make_server) -> None:
    telegram = telegram_peer().start()
    server = make_server(clickhouse, store, **lead_env(telegram))
    assert post_lead(server.url, form_lead(url="http://[::1/acil", variant="")).status_code == 201
    assert wait_for(lambda: telegram.delivered())
    assert "📄 Sayfa: http://[::1/acil\n" in telegram.delivered()[0].json()["text"]
    assert len(telegram.requests) == 1 and "Traceback" not in server.log()
