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
    keys = ["chat_id", "disable_web_page_preview", "entities", "text"]
    assert sorted(sent.json()) == keys, "no parse_mode: no markup"
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
    assert "📄 Sayfa: -\n" in telegram.delivered()[0].json()["text"], "only a path of ours is shown"
    assert len(telegram.requests) == 1 and "Traceback" not in server.log()


def _literal(sent: dict) -> list[str]:
    """The spans of the message Telegram shows as code (offsets in UTF-16 units)."""
    text = sent["text"].encode("utf-16-le")
    return [
        text[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in sent["entities"]
        if e["type"] == "code"
    ]


def test_visitor_text_reaches_telegram_literally_and_the_page_is_only_our_path(
    clickhouse, store, make_server
) -> None:
    """Issue 27 I: links, phone numbers and @mentions a visitor types become no tappable entity in the owner's
    Telegram (each visitor span is a code entity), and a lead URL whose newline Python drops cannot glue a
    fake "🔗 Talep:" link onto the page line."""
    telegram = telegram_peer().start()
    try:
        server = make_server(
            clickhouse, store, **lead_env(telegram), PUBLIC_BASE_URL="https://eslamed.example"
        )
        name = "Ali @kampanya_bot"
        message = "Beni https://evil.example/odeme adresinden ya da 0555 111 22 33 numarasından arayın"
        url = "https://eslamed.example/fiyat\n🔗 Talep: https://evil.example/admin"
        lead = form_lead(name=name, message=message, url=url, variant="fiyat", gclid="Cj0K@x")
        assert post_lead(server.url, lead).status_code == 201
        (sent,) = wait_for(lambda: telegram.delivered())
        body = sent.json()
        lines = body["text"].split("\n")
        assert [line for line in lines if line.startswith("🔗")] == [
            f"🔗 Talep: https://eslamed.example/admin/#/lead/{lead['lead_id']}"
        ], "one link, ours"
        page_line = next(line for line in lines if line.startswith("📄 Sayfa: "))
        path = page_line.removeprefix("📄 Sayfa: ").split(" (varyant")[0]
        assert path.startswith("/fiyat%F0%9F%94%97%20Talep:%20https://evil.example/admin"), path
        assert _literal(body) == [name, path, "fiyat", message]
        assert "parse_mode" not in body
    finally:
        telegram.stop()
