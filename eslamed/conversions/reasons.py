"""Google's error codes in words the owner understands (Turkish first, English after).

The stored reason reads "<Türkçe> / <English> [CODE]", so the admin can show it as is and
support can still search for the code. Codes from both APIs share one table.
"""

from __future__ import annotations

ALREADY_UPLOADED = frozenset(
    {
        "CLICK_CONVERSION_ALREADY_EXISTS",
        "ORDER_ID_ALREADY_IN_USE",
        "DUPLICATE_ORDER_ID",
        "ALREADY_EXISTS",
        "PROCESSING_ERROR_REASON_DUPLICATE_TRANSACTION_ID",
    }
)
"""Google already holds this sale (an earlier attempt reached it): counted as uploaded."""

PHONE_REFUSED = frozenset(
    {
        "CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS",
        "CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS",
        "CUSTOMER_DATA_POLICY_PROHIBITS_ENHANCED_CONVERSIONS",
    }
)
"""The account takes no hashed phone (enhanced conversions for leads): the click id alone still counts."""

UNATTRIBUTED = "PARTIAL_SUCCESS_UNATTRIBUTED"
"""Google rejected some events of a request without naming them: each is sent again in its own request."""

TOKEN_UNREACHABLE = "TOKEN_ENDPOINT_UNREACHABLE"  # noqa: S105 - a status name, not a secret
"""The OAuth token endpoint did not answer (network), as opposed to refusing the credentials."""

REQUEST_NOT_FOUND = "REQUEST_ID_NOT_FOUND"
"""Google no longer knows an accepted request id; the transaction id makes sending it again safe."""

QUOTA_THIS_RUN = "REQUEST_BUDGET_REACHED"
"""This run spent its share of Google's 300 requests/minute; the rest waits a minute."""

TOO_RECENT = frozenset(
    {
        "TOO_RECENT_EVENT",
        "TOO_RECENT_CONVERSION_ACTION",
        "CONVERSION_ACTION_TOO_RECENTLY_CREATED",
        "PROCESSING_ERROR_REASON_TOO_RECENT_CLICK",
    }
)
"""Google wants a few hours between the click (or the conversion action) and the upload."""

TOO_RECENT_RETRY_S = 6 * 3600

ACCOUNT_PROBLEMS = frozenset(
    {
        "INVALID_CONVERSION_ACTION_ID",
        "INVALID_CONVERSION_ACTION_TYPE",
        "INVALID_DESTINATION",
        "NOT_ALLOWLISTED",
        "TERMS_AND_CONDITIONS_NOT_SIGNED",
        "OPERATING_ACCOUNT_LOGIN_ACCOUNT_MISMATCH",
        "DESTINATION_ACCOUNT_ENHANCED_CONVERSIONS_TERMS_NOT_SIGNED",
        "DESTINATION_ACCOUNT_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS",
        "DESTINATION_ACCOUNT_DATA_POLICY_PROHIBITS_ENHANCED_CONVERSIONS",
        "CONVERSION_ACTION_TOO_RECENTLY_CREATED",
        "PROCESSING_ERROR_REASON_DESTINATION_ACCOUNT_ENHANCED_CONVERSIONS_TERMS_NOT_SIGNED",
        "PROCESSING_ERROR_OPERATING_ACCOUNT_MISMATCH_FOR_AD_IDENTIFIER",
    }
)
"""Data Manager reasons about our account settings, not one event: no point splitting the batch."""

_ALREADY_HAD = ("Google bu satışı zaten almış", "Google already had this sale")

_TEXT: dict[str, tuple[str, str]] = {
    **dict.fromkeys(ALREADY_UPLOADED, _ALREADY_HAD),
    UNATTRIBUTED: (
        "Google bu istekteki satışların bir kısmını hangisi olduğunu söylemeden reddetti; "
        "her satış tek başına yeniden gönderilecek",
        "Google rejected part of the request without naming the sales; each is sent again on its own",
    ),
    TOKEN_UNREACHABLE: (
        "Google'a ulaşılamıyor (oturum sunucusu yanıt vermedi); tekrar denenecek",
        "Google unreachable (the OAuth token endpoint did not answer); will retry",
    ),
    REQUEST_NOT_FOUND: (
        "Google bu yükleme isteğini artık tanımıyor; satış yeniden gönderilecek",
        "Google no longer knows this upload request; the sale is sent again",
    ),
    QUOTA_THIS_RUN: (
        "Google istek sınırı bu dakika için doldu; bir dakika sonra gönderilecek",
        "Google's request quota for this minute is spent; sending in a minute",
    ),
    "PROCESSING_ERROR_REASON_TOO_RECENT_CLICK": (
        "Tıklama çok yeni; Google 6 saat sonra tekrar denenmesini istiyor",
        "The click is too recent; Google asks to retry after 6 hours",
    ),
    "PROCESSING_ERROR_REASON_INTERNAL_ERROR": (
        "Google tarafında hata; tekrar denenecek",
        "Google internal error; will retry",
    ),
    "CUSTOMER_DATA_POLICY_PROHIBITS_ENHANCED_CONVERSIONS": (
        "Google Ads veri politikası telefonla eşleştirmeye izin vermiyor",
        "The account's data policy does not allow enhanced conversions",
    ),
    "UNPARSEABLE_GCLID": ("Tıklama kimliği (gclid) bozuk", "The click id (gclid) is malformed"),
    "UNPARSEABLE_GBRAID": ("Tıklama kimliği (gbraid) bozuk", "The click id (gbraid) is malformed"),
    "UNPARSEABLE_WBRAID": ("Tıklama kimliği (wbraid) bozuk", "The click id (wbraid) is malformed"),
    "PROCESSING_ERROR_REASON_INVALID_GCLID": (
        "Tıklama kimliği (gclid) Google'da geçersiz",
        "Google does not recognise the click id (gclid)",
    ),
    "INVALID_FORMAT": ("Google bir alanı geçersiz buldu", "Google found a field in the wrong format"),
    "INVALID_EVENT": ("Google satış kaydını geçersiz buldu", "Google rejected the sale as invalid"),
    "EVENT_NOT_FOUND": (
        "Bu tıklama bu Google Ads hesabında bulunamadı",
        "The click was not found in this Google Ads account",
    ),
    "CLICK_NOT_FOUND": (
        "Bu tıklama bu Google Ads hesabında bulunamadı",
        "The click was not found in this Google Ads account",
    ),
    "PROCESSING_ERROR_REASON_CLICK_NOT_FOUND": (
        "Bu tıklama bu Google Ads hesabında bulunamadı",
        "The click was not found in this Google Ads account",
    ),
    "EXPIRED_EVENT": (
        "Tıklamanın üzerinden 90 günden fazla geçmiş",
        "The click is older than the conversion window (90 days)",
    ),
    "PROCESSING_ERROR_REASON_EVENT_TOO_OLD": (
        "Satış Google için çok eski",
        "The sale is too old for Google",
    ),
    "CONVERSION_PRECEDES_EVENT": (
        "Satış tarihi tıklamadan önce görünüyor",
        "The sale time is before the ad click",
    ),
    "PROCESSING_ERROR_REASON_CONVERSION_PRECEDES_CLICK": (
        "Satış tarihi tıklamadan önce görünüyor",
        "The sale time is before the ad click",
    ),
    "EVENT_TIME_INVALID": ("Satış tarihi geçersiz", "The sale time is invalid"),
    "INVALID_CURRENCY_CODE": ("Para birimi geçersiz", "The currency code is invalid"),
    "INVALID_CONVERSION_ACTION_ID": (
        "Dönüşüm işlemi kimliği yanlış (GOOGLE_ADS_CONVERSION_ACTION_ID)",
        "The conversion action id is wrong (GOOGLE_ADS_CONVERSION_ACTION_ID)",
    ),
    "NO_CONVERSION_ACTION_FOUND": (
        "Dönüşüm işlemi bulunamadı (GOOGLE_ADS_CONVERSION_ACTION_ID)",
        "The conversion action was not found (GOOGLE_ADS_CONVERSION_ACTION_ID)",
    ),
    "INVALID_CONVERSION_ACTION_TYPE": (
        "Dönüşüm işlemi yükleme türünde değil",
        "The conversion action is not an upload (offline) action",
    ),
    "INVALID_DESTINATION": ("Google Ads hesap bilgisi yanlış", "The Google Ads account settings are wrong"),
    "UNAUTHORIZED_CUSTOMER": (
        "Bu Google Ads hesabına yükleme izni yok",
        "This Google Ads account may not receive uploads",
    ),
    "CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE": (
        "Geliştirici jetonu Google Ads API yüklemesine izinli değil; datamanager kullanın",
        "The developer token is not allow-listed for uploads; use the datamanager backend",
    ),
    "NOT_ALLOWLISTED": ("Hesap bu özellik için izinli değil", "The account is not allow-listed for this"),
    "PERMISSION_DENIED": ("Google erişimi reddetti (yetki)", "Google denied access (permissions)"),
    "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION": (
        "OAuth istemcisinin Google Cloud projesi Google Ads API'de üretim erişimine onaylı değil "
        "(yalnızca test hesapları); Cloud konsolundaki Google Ads API sayfasından Explorer erişimi isteyin",
        "The Google Cloud project of the OAuth client is not approved for production access to the "
        "Google Ads API (test accounts only); apply for Explorer access on its Google Ads API page in the "
        "Cloud console",
    ),
    "USER_PERMISSION_DENIED": (
        "Bu Google hesabının müşteri hesabına erişimi yok (GOOGLE_ADS_LOGIN_CUSTOMER_ID?)",
        "This Google login cannot access the customer (GOOGLE_ADS_LOGIN_CUSTOMER_ID?)",
    ),
    "UNAUTHENTICATED": (
        "Google oturum bilgileri geçersiz (client id / refresh token)",
        "Google rejected the credentials (client id / refresh token)",
    ),
    "CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS": (
        "Google Ads'te müşteri verisi koşulları kabul edilmemiş",
        "Customer data terms are not accepted in Google Ads",
    ),
    "PROCESSING_ERROR_REASON_DESTINATION_ACCOUNT_ENHANCED_CONVERSIONS_TERMS_NOT_SIGNED": (
        "Google Ads'te gelişmiş dönüşüm koşulları kabul edilmemiş",
        "Enhanced conversions terms are not accepted in Google Ads",
    ),
    "DESTINATION_ACCOUNT_ENHANCED_CONVERSIONS_TERMS_NOT_SIGNED": (
        "Google Ads'te gelişmiş dönüşüm koşulları kabul edilmemiş",
        "Enhanced conversions terms are not accepted in Google Ads",
    ),
    "CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS": (
        "Google Ads'te potansiyel müşteriler için gelişmiş dönüşümler kapalı",
        "Enhanced conversions for leads is off in Google Ads",
    ),
    "DESTINATION_ACCOUNT_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS": (
        "Google Ads'te potansiyel müşteriler için gelişmiş dönüşümler kapalı",
        "Enhanced conversions for leads is off in Google Ads",
    ),
    "PROCESSING_ERROR_REASON_DENIED_CONSENT": ("Müşteri izni yok", "The customer denied consent"),
    "PROCESSING_ERROR_REASON_NO_CONSENT": ("Müşteri izni yok", "No consent from the customer"),
    "TOO_RECENT_EVENT": (
        "Tıklama çok yeni; Google 6 saat sonra tekrar denenmesini istiyor",
        "The click is too recent; Google asks to retry after 6 hours",
    ),
    "TOO_RECENT_CONVERSION_ACTION": (
        "Dönüşüm işlemi çok yeni; 6 saat sonra tekrar denenecek",
        "The conversion action is too new; retrying after 6 hours",
    ),
    "UNAVAILABLE": ("Google şu an yanıt vermiyor; tekrar denenecek", "Google is unavailable; will retry"),
    "DEADLINE_EXCEEDED": ("Google zamanında yanıt vermedi; tekrar denenecek", "Google timed out; will retry"),
    "RESOURCE_EXHAUSTED": (
        "Google istek sınırına ulaşıldı; tekrar denenecek",
        "Google rate limit reached; will retry",
    ),
    "INTERNAL": ("Google tarafında hata; tekrar denenecek", "Google internal error; will retry"),
}


def text(tr: str, en: str, code: str = "") -> str:
    return f"{tr} / {en}" + (f" [{code}]" if code else "")


def request_problem(code: str, detail: str = "") -> str:
    """Reason for a sale held back by a failure of the whole request: it says the sale is not to blame."""
    known = _TEXT.get(code)
    if known:
        return text(*known, code) + (f": {detail}" if detail else "")
    return text(
        "Google isteği reddetti (satışla ilgili değil); tekrar denenecek",
        f"Google refused the request, not the sale ({detail or code}); will retry",
        code,
    )


def google_reason(code: str, detail: str = "") -> str:
    """Owner-readable reason for a Google error code; unknown codes keep Google's own message."""
    known = _TEXT.get(code)
    if known:
        return text(*known, code) + (f": {detail}" if detail else "")
    return text("Google satışı kabul etmedi", f"Google rejected the sale: {detail or code}", code)
