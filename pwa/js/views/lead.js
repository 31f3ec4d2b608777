/* One lead: details, status buttons with undo, phone, notes, sales, the visitor's journey, history. */
import { api, download } from "../api.js";
import { current, h, setOffline, show, state, toast } from "../dom.js";
import { CHANNEL_TR, DEVICE_TR, EVENT_TR, SOURCE_TR, STATUS_TR, SUSPICIOUS_TR, dateTime, phoneText } from "../i18n.js";
import { saleForm, salesCard } from "../views/sales.js";

/* The status before the current one, from the history: what "Geri al" goes back to. */
export function previousStatus(lead, history) {
  const earlier = history.slice(0, -1).reverse().find((e) => e.status !== lead.status);
  return earlier && earlier.status !== "CONVERTED" ? earlier.status : null;
}

export function waLink(phone) {
  return `https://wa.me/${phone.replace(/\D/g, "")}`;
}

/* A page as a person names it: the decoded path; the click id and campaign have their own rows. */
export function pagePath(url) {
  try {
    return decodeURIComponent(new URL(url, location.origin).pathname);
  } catch (err) {
    return url;
  }
}

export function journeyCard(journey) {
  const s = journey.summary;
  const facts = [
    ["Giriş sayfası", s.landing_page ? pagePath(s.landing_page) : ""], ["Kaynak", SOURCE_TR[s.source] || s.source],
    ["GCLID", s.gclid], ["GBRAID", s.gbraid], ["WBRAID", s.wbraid], ["Şehir", s.city], ["Cihaz", DEVICE_TR[s.device] || s.device],
    ["Sayfa sayısı", s.pages], ["Arama/WhatsApp tıklaması", s.cta_clicks],
  ].filter(([, v]) => v !== "" && v !== null && v !== undefined);
  const items = journey.events.map((e) => h("li", { class: ["call_click", "whatsapp_click", "click"].includes(e.type) ? "cta" : "" },
    h("time", {}, dateTime.format(new Date(e.ts))),
    `${EVENT_TR[e.type] || e.type}: ${e.path || e.url}`,
    e.gclid && e.type === "pageview" ? h("div", { class: "muted" }, `gclid ${e.gclid}`) : null,
    e.source && e.type === "pageview" ? h("div", { class: "muted" }, [SOURCE_TR[e.source] || e.source, e.city, DEVICE_TR[e.device] || e.device].filter(Boolean).join(" · ")) : null));
  return h("section", { class: "card", id: "journey" },
    h("h3", {}, "Müşteri yolculuğu"),
    h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))])),
    items.length ? h("ol", { class: "timeline" }, items) : h("p", { class: "muted" }, "Bu ziyaretçi için kayıtlı sayfa hareketi yok."));
}

/* KVKK: everything held about the person as a file, or erased everywhere after the owner types SİL. */
export function privacyCard(id, reload) {
  const confirmInput = h("input", { id: "erase-confirm", autocomplete: "off", placeholder: "SİL" });
  const eraseForm = h("form", { id: "erase-form", hidden: true },
    h("label", { for: "erase-confirm" }, "Bu kişinin adı, telefonu, mesajları, notları ve ziyaret kimliği her yerden silinir; talep ve satış istatistikte adsız kalır. Geri alınamaz. Onaylamak için SİL yazın:"),
    confirmInput, h("button", { class: "danger", type: "submit", dataset: { needsNetwork: "1" } }, "Kalıcı olarak sil"));
  eraseForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const done = await api(`/api/admin/leads/${id}/erase`, { method: "POST", json: { confirm: confirmInput.value } });
      reload(h("div", { class: "card banner", id: "erased" }, `Kişisel veriler silindi (${done.lead_ids.length} talep).`,
        done.google ? h("p", { class: "muted" }, done.google.split(" / ")[0]) : null));
    } catch (err) { toast(err.message); }
  });
  return h("section", { class: "card", id: "privacy" }, h("h3", {}, "Kişisel veriler (KVKK)"),
    h("div", { class: "row" },
      h("button", { class: "secondary", type: "button", id: "export-data", dataset: { needsNetwork: "1" },
        onclick: () => download(`/api/admin/leads/${id}/export`, `kisisel-veri-${id.slice(0, 8)}.json`).catch((err) => toast(err.message)) }, "Verilerini indir"),
      h("button", { class: "danger", type: "button", id: "erase-data", onclick: () => { eraseForm.hidden = false; confirmInput.focus(); } }, "Verilerini sil")),
    eraseForm);
}

export async function leadView(id, notice) {
  const ticket = show(h("p", { class: "muted" }, "Yükleniyor…"));
  let body;
  try {
    body = await api(`/api/admin/leads/${id}`);
  } catch (err) {
    if (err.status !== 401 && current(ticket)) show(h("a", { href: "#/leads" }, "← Talepler"), h("p", { class: "error" }, err.message));
    return;
  }
  if (!current(ticket)) return;
  const lead = body.lead;
  const reload = (message) => leadView(id, message);
  const setStatus = async (status, note) => {
    try {
      await api(`/api/admin/leads/${id}/status`, { method: "POST", json: { status, note } });
      toast(`Durum: ${STATUS_TR[status]}`);
      reload(null);
    } catch (err) { toast(err.message); }
  };
  const phoneInput = h("input", { id: "phone-input", type: "tel", placeholder: "0532 123 45 67" });
  const phoneForm = h("form", { class: "row" }, h("div", { class: "grow" }, phoneInput), h("button", { class: "primary", type: "submit", dataset: { needsNetwork: "1" } }, "Telefonu kaydet"));
  phoneForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/api/admin/leads/${id}/phone`, { method: "POST", json: { phone: phoneInput.value } });
      reload(null);
    } catch (err) { toast(err.message); }
  });
  const noteInput = h("textarea", { id: "note-input", rows: 2, maxlength: 1000, placeholder: "Örn. yarın 10'da tekrar ara" });
  const noteForm = h("form", { class: "card", id: "note-form" }, h("label", { for: "note-input" }, "Not"), noteInput,
    h("button", { class: "secondary", type: "submit", dataset: { needsNetwork: "1" } }, "Not ekle"));
  noteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!noteInput.value.trim()) return;
    try {
      await api(`/api/admin/leads/${id}/note`, { method: "POST", json: { note: noteInput.value } });
      toast("Not eklendi");
      reload(null);
    } catch (err) { toast(err.message); }
  });
  const converted = lead.status === "CONVERTED";
  const previous = previousStatus(lead, body.history);
  const statusButtons = converted ? null : h("div", { class: "row", id: "status-buttons" },
    [["CONTACTED", "Arandı", "secondary"], ["LOST", "Kaybedildi", "secondary"], ["SPAM", "Spam", "danger"]].map(([status, label, cls]) =>
      h("button", { class: cls, type: "button", disabled: lead.status === status, dataset: { status, needsNetwork: "1" }, onclick: () => setStatus(status) }, label)),
    previous ? h("button", { class: "secondary", type: "button", id: "undo-status", dataset: { needsNetwork: "1" },
      onclick: () => setStatus(previous, `Geri alındı: ${STATUS_TR[lead.status]} → ${STATUS_TR[previous]}`) }, `↶ Geri al (${STATUS_TR[previous]})`) : null);
  const doubt = lead.status === "SPAM"
    ? h("div", { class: "card banner warn", id: "spam-review" }, "Bu talep spam olarak işaretli.",
        h("button", { class: "secondary", type: "button", dataset: { needsNetwork: "1" }, onclick: () => setStatus("NEW", "Spam değil") }, "Spam değil"))
    : lead.spam_reason
      ? h("div", { class: "card banner warn", id: "spam-review" }, `⚠️ Şüpheli: ${SUSPICIOUS_TR[lead.spam_reason] || lead.spam_reason}. Gerçek değilse:`,
          h("button", { class: "danger", type: "button", dataset: { needsNetwork: "1" }, onclick: () => setStatus("SPAM", "Şüpheli talep: spam") }, "Spam"))
      : null;
  const campaign = lead.utm_campaign || body.journey.summary.campaign;
  const ad = [["Anahtar kelime", lead.utm_term], ["Kampanya", campaign], ["Reklam içeriği", lead.utm_content]].filter(([, v]) => v);
  const second = converted ? saleForm(lead, reload, true) : null;
  if (second) second.hidden = true;
  show(
    h("a", { href: "#/leads" }, "← Talepler"),
    notice,
    doubt,
    h("section", { class: "card", id: "lead-detail" },
      h("div", { class: "row" }, h("h2", { class: "grow" }, lead.name || "(isimsiz)"), h("span", { class: `status ${lead.status}`, id: "lead-status" }, STATUS_TR[lead.status])),
      h("div", { class: "muted" }, `${CHANNEL_TR[lead.source] || lead.source} · ${dateTime.format(new Date(lead.created_at))}`),
      lead.message ? h("p", {}, lead.message) : null,
      ad.length ? h("dl", { class: "facts", id: "lead-ad" }, ad.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])) : null,
      lead.phone
        ? [h("p", {}, h("b", { id: "lead-phone" }, phoneText(lead))), h("div", { class: "row" },
            h("a", { class: "button call", href: `tel:${lead.phone}`, id: "call" }, "Ara"),
            h("a", { class: "button wa", href: waLink(lead.phone), id: "whatsapp", target: "_blank", rel: "noopener" }, "WhatsApp"))]
        : [h("p", { class: "muted" }, "Telefon numarası yok: ekleyin"), phoneForm],
      statusButtons),
    body.conversions.length ? salesCard(body.conversions, reload) : null,
    converted
      ? [h("button", { class: "secondary", type: "button", id: "add-second", onclick: (e) => { second.hidden = false; e.target.hidden = true; } }, "+ İkinci satış ekle"), second]
      : saleForm(lead, reload, false),
    noteForm,
    journeyCard(body.journey),
    h("section", { class: "card", id: "history" }, h("h3", {}, "Geçmiş"),
      body.history.map((e) => h("div", { class: "muted" }, `${dateTime.format(new Date(e.changed_at))} · ${STATUS_TR[e.status] || e.status}${e.note ? ` · ${e.note}` : ""}`))),
    privacyCard(id, reload),
  );
  setOffline(state.offline);
}
