/* Turkish words and formats the owner reads: statuses, channels, sources, money, dates (Istanbul). */

export const TZ = "Europe/Istanbul";

export const dateTime = new Intl.DateTimeFormat("tr-TR", { timeZone: TZ, dateStyle: "short", timeStyle: "short" });

export const dateOnly = new Intl.DateTimeFormat("tr-TR", { timeZone: TZ, dateStyle: "medium" });

export const money = new Intl.NumberFormat("tr-TR", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const count = new Intl.NumberFormat("tr-TR");

/* "12.345,67 TL", as the owner writes an amount; another account currency keeps its code. */
export const lira = (amount, currency = "TRY") =>
  amount === null || amount === undefined ? "—" : `${money.format(amount)} ${currency === "TRY" ? "TL" : currency}`;

/* Google's reasons come as "Türkçe / English [CODE]": the owner reads the Turkish half and the code. */
export const reasonTR = (reason) => {
  const code = (reason.match(/\[([A-Z_]+)\]/) || [])[1];
  return reason.split(" / ")[0] + (code ? ` (${code})` : "");
};

export const percent = (rate) => `%${count.format(Math.round(rate * 1000) / 10)}`;

export const STATUS_TR = { NEW: "Yeni", CONTACTED: "Arandı", CONVERTED: "Satış", LOST: "Kaybedildi", SPAM: "Spam" };

export const CHANNEL_TR = { form: "Form", whatsapp: "WhatsApp", call: "Arama" };

export const SOURCE_TR = { paid: "Google Ads", organic: "Organik", direct: "Doğrudan", referral: "Yönlendirme", social: "Sosyal" };

export const EVENT_TR = {
  pageview: "Sayfa görüntüleme", click: "Tıklama", call_click: "Arama butonu", whatsapp_click: "WhatsApp butonu",
  scroll: "Kaydırma", form_start: "Form başladı", error: "Sayfa hatası", custom: "Olay",
};

export const UPLOAD_TR = { PENDING: "Bekliyor", UPLOADED: "Gönderildi", RETRY: "Tekrar denenecek", FAILED: "Başarısız", SKIPPED: "Atlandı", MANUAL: "Google Ads'te elle düzeltin" };

export const DEAL_TR = { satis: "Satış", kiralama: "Kiralama" };

export const DEVICE_TR = { mobile: "Mobil", desktop: "Masaüstü", tablet: "Tablet", bot: "Bot" };

export const VARIANT_TR = {
  home: "Ana sayfa", "oksijen-tupu": "Oksijen tüpü", "oksijen-konsantratoru": "Oksijen konsantratörü",
  kiralama: "Kiralama", acil: "Acil", fiyat: "Fiyat", iletisim: "İletişim", kvkk: "KVKK",
};

export const SUSPICIOUS_TR = { too_fast: "form çok hızlı dolduruldu" };

/* conv-stages: lead-stage conversions, "Yeniden gönder" and "Satışı düzelt / iptal" */
export const STAGE_TR = { CONTACTED: "Nitelikli talep (Arandı)" };

export const ADJUST_TR = { RETRACTION: "Düzeltme: satış iptali", RESTATEMENT: "Düzeltme: yeni tutar" };

/* What a person reads; tel: and wa.me links keep the E.164 `phone`. */
export const phoneText = (lead) => lead.phone_display || lead.phone;

export function istanbulToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: TZ }).format(new Date());
}

/* "15.000" and "15.000,50" (Turkish), "15000.50" and "15000" all mean what a Turkish owner means. */
export function parseAmountTR(raw) {
  let text = raw.replace(/\s|TL|₺/gi, "");
  if (text.includes(",")) text = text.replace(/\./g, "").replace(",", ".");
  else if (/^\d{1,3}(\.\d{3})+$/.test(text)) text = text.replace(/\./g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(text) || Number(text) <= 0) return null;
  return Number(text).toFixed(2);
}
