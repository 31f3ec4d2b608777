/* Eslamed admin PWA: login, leads, lead detail with journey and "Satış Onayla", stats, sales, push. */
"use strict";

const SECRET_KEY = "eslamed.adminSecret";
const TZ = "Europe/Istanbul";
const state = { secret: localStorage.getItem(SECRET_KEY) || "", offline: false, leadFilter: "", search: "", timer: 0, shown: 0 };

const dateTime = new Intl.DateTimeFormat("tr-TR", { timeZone: TZ, dateStyle: "short", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat("tr-TR", { timeZone: TZ, dateStyle: "medium" });
const money = new Intl.NumberFormat("tr-TR", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const count = new Intl.NumberFormat("tr-TR");
const percent = (rate) => `%${count.format(Math.round(rate * 1000) / 10)}`;

const STATUS_TR = { NEW: "Yeni", CONTACTED: "Arandı", CONVERTED: "Satış", LOST: "Kaybedildi", SPAM: "Spam" };
const CHANNEL_TR = { form: "Form", whatsapp: "WhatsApp", call: "Arama" };
const SOURCE_TR = { paid: "Google Ads", organic: "Organik", direct: "Doğrudan", referral: "Yönlendirme", social: "Sosyal" };
const EVENT_TR = {
  pageview: "Sayfa görüntüleme", click: "Tıklama", call_click: "Arama butonu", whatsapp_click: "WhatsApp butonu",
  scroll: "Kaydırma", form_start: "Form başladı", error: "Sayfa hatası", custom: "Olay",
};
const UPLOAD_TR = { PENDING: "Bekliyor", UPLOADED: "Gönderildi", RETRY: "Tekrar denenecek", FAILED: "Başarısız", SKIPPED: "Atlandı", MANUAL: "Google Ads'te elle düzeltin" };
const DEAL_TR = { satis: "Satış", kiralama: "Kiralama" };
const DEVICE_TR = { mobile: "Mobil", desktop: "Masaüstü", tablet: "Tablet", bot: "Bot" };
const VARIANT_TR = {
  home: "Ana sayfa", "oksijen-tupu": "Oksijen tüpü", "oksijen-konsantratoru": "Oksijen konsantratörü",
  kiralama: "Kiralama", acil: "Acil", fiyat: "Fiyat", iletisim: "İletişim", kvkk: "KVKK",
};
const SUSPICIOUS_TR = { too_fast: "form çok hızlı dolduruldu" };
/* What a person reads; tel: and wa.me links keep the E.164 `phone`. */
const phoneText = (lead) => lead.phone_display || lead.phone;

/* DOM helper: text always goes in as text, never as HTML. */
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const view = () => document.getElementById("view");
/* Returns a ticket: a view that awaits an answer shows it only while still current(ticket), so a slow
   answer for a view the owner already left never replaces the one on screen. */
function show(...nodes) {
  view().replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  window.scrollTo(0, 0);
  state.shown += 1;
  return state.shown;
}
const current = (ticket) => ticket === state.shown;

function toast(text) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 3500);
}

function setOffline(offline) {
  state.offline = offline;
  document.getElementById("offline").hidden = !offline;
  document.querySelectorAll("[data-needs-network]").forEach((b) => (b.disabled = offline));
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message_tr || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(path, options = {}) {
  const headers = { "X-Admin-Secret": state.secret, ...(options.headers || {}) };
  if (options.json !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method: options.method || "GET",
      headers,
      body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
      cache: "no-store",
    });
  } catch (err) {
    setOffline(true);
    throw new ApiError(0, { message_tr: "Sunucuya ulaşılamıyor (çevrimdışı olabilirsiniz)" });
  }
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 && !options.login) {
    logout("Oturum geçersiz, yeniden giriş yapın");
    throw new ApiError(401, body);
  }
  if (!response.ok) throw new ApiError(response.status, body);
  setOffline(response.headers.get("X-Eslamed-Offline") === "1" || !navigator.onLine);
  return body;
}

function logout(message) {
  localStorage.removeItem(SECRET_KEY);
  state.secret = "";
  if (window.caches) caches.delete("eslamed-data-v1");
  location.hash = "#/login";
  if (message) toast(message);
}

/* ---------- login ---------- */
function loginView() {
  document.getElementById("nav").hidden = true;
  const error = h("p", { class: "error", id: "login-error" });
  const input = h("input", { type: "password", id: "secret", autocomplete: "current-password", required: true });
  const form = h(
    "form",
    { class: "card", id: "login-form" },
    h("h2", {}, "Yönetici girişi"),
    h("label", { for: "secret" }, "Yönetici şifresi"),
    input,
    error,
    h("button", { class: "primary", type: "submit" }, "Giriş yap"),
    h("p", { class: "muted" }, "Şifre yalnızca bu cihazda saklanır."),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    state.secret = input.value.trim();
    try {
      await api("/api/admin/leads?limit=1", { login: true });
      localStorage.setItem(SECRET_KEY, state.secret);
      location.hash = "#/leads";
    } catch (err) {
      error.textContent = err.message;
    }
  });
  show(form);
  input.focus();
}

/* ---------- lead list ---------- */
function leadCard(lead) {
  const traffic = lead.last_source || lead.first_source;
  return h(
    "a",
    { class: `card lead${lead.status === "NEW" ? " is-new" : ""}`, href: `#/lead/${lead.id}`, dataset: { leadId: lead.id } },
    h("div", { class: "row" },
      h("span", { class: "name grow" }, lead.name || "(isimsiz)"),
      h("span", { class: `status ${lead.status}` }, STATUS_TR[lead.status] || lead.status)),
    h("div", {}, phoneText(lead) || "Telefon yok"),
    lead.spam_reason && lead.status !== "SPAM" ? h("div", { class: "suspicious" }, `⚠️ Şüpheli: ${SUSPICIOUS_TR[lead.spam_reason] || lead.spam_reason}`) : null,
    h("div", { class: "muted" },
      [CHANNEL_TR[lead.source] || lead.source, SOURCE_TR[traffic] || traffic, lead.city, dateTime.format(new Date(lead.created_at))]
        .filter(Boolean).join(" · ")),
  );
}

function updateBadge(counts) {
  const badge = document.getElementById("new-badge");
  badge.textContent = count.format(counts.NEW || 0);
  badge.hidden = !counts.NEW;
}

async function leadsView() {
  const list = h("div", { id: "lead-list" }, h("p", { class: "muted" }, "Yükleniyor…"));
  const more = h("button", { class: "secondary", id: "more", hidden: true }, "Daha fazla");
  const pull = h("div", { class: "pull", id: "pull" }, "Yenilemek için bırakın");
  const search = h("input", { type: "search", id: "search", placeholder: "Telefon veya isim ara", value: state.search, inputmode: "search" });
  const filters = [["", "Tümü"], ["NEW", "Yeni"], ["CONTACTED", "Arandı"], ["CONVERTED", "Satış"], ["LOST", "Kaybedildi"], ["SPAM", "Spam"]];
  const chips = h("div", { class: "chips" }, filters.map(([value, label]) =>
    h("button", { class: `chip${state.leadFilter === value ? " on" : ""}`, type: "button", onclick: () => { state.leadFilter = value; leadsView(); } }, label)));
  let cursor = null;

  async function load(append) {
    const params = new URLSearchParams({ limit: "30" });
    if (state.leadFilter) params.set("status", state.leadFilter);
    if (state.search) params.set("q", state.search);
    if (append && cursor) params.set("cursor", cursor);
    try {
      const body = await api(`/api/admin/leads?${params}`);
      updateBadge(body.counts);
      cursor = body.next_cursor;
      more.hidden = !cursor;
      const cards = body.leads.map(leadCard);
      if (append) list.append(...cards);
      else list.replaceChildren(...(cards.length ? cards : [h("p", { class: "muted" }, "Talep yok")]));
    } catch (err) {
      if (err.status !== 401) list.replaceChildren(h("p", { class: "error" }, err.message));
    }
  }

  let debounce = 0;
  search.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { state.search = search.value.trim(); load(false); }, 300);
  });
  more.addEventListener("click", () => load(true));
  show(
    h("h2", {}, "Talepler"),
    pull,
    h("div", { class: "row" }, h("div", { class: "grow" }, search), h("button", { class: "secondary", id: "refresh", onclick: () => load(false) }, "Yenile")),
    chips,
    list,
    more,
  );
  enablePullToRefresh(pull, () => load(false));
  clearInterval(state.timer);
  state.timer = setInterval(() => { if (!document.hidden && location.hash.startsWith("#/leads")) load(false); }, 30000);
  await load(false);
}

function enablePullToRefresh(indicator, refresh) {
  let startY = null;
  const onStart = (e) => { startY = window.scrollY === 0 ? e.touches[0].clientY : null; };
  const onMove = (e) => { if (startY !== null) indicator.classList.toggle("show", e.touches[0].clientY - startY > 60); };
  const onEnd = () => {
    if (indicator.classList.contains("show")) { indicator.textContent = "Yenileniyor…"; refresh().finally(() => { indicator.classList.remove("show"); indicator.textContent = "Yenilemek için bırakın"; }); }
    startY = null;
  };
  view().ontouchstart = onStart;
  view().ontouchmove = onMove;
  view().ontouchend = onEnd;
}

/* ---------- lead detail ---------- */
function istanbulToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: TZ }).format(new Date());
}

/* "15.000" and "15.000,50" (Turkish), "15000.50" and "15000" all mean what a Turkish owner means. */
function parseAmountTR(raw) {
  let text = raw.replace(/\s|TL|₺/gi, "");
  if (text.includes(",")) text = text.replace(/\./g, "").replace(",", ".");
  else if (/^\d{1,3}(\.\d{3})+$/.test(text)) text = text.replace(/\./g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(text) || Number(text) <= 0) return null;
  return Number(text).toFixed(2);
}

function confirmDialog(text) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

function saleForm(lead, onDone, second) {
  const key = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  const amount = h("input", { id: "sale-amount", inputmode: "decimal", placeholder: "15.000", autocomplete: "off" });
  const deal = h("select", { id: "sale-type" }, h("option", { value: "satis" }, "Satış"), h("option", { value: "kiralama" }, "Kiralama"));
  const date = h("input", { id: "sale-date", type: "date", value: istanbulToday(), max: istanbulToday() });
  const error = h("p", { class: "error", id: "sale-error" });
  const submit = h("button", { class: "primary", type: "submit", id: "sale-submit", dataset: { needsNetwork: "1" } }, "Satış Onayla");
  const form = h("form", { class: "card", id: "sale-form" },
    h("h3", {}, second ? "İkinci satış" : "Satış Onayla"),
    h("label", { for: "sale-amount" }, "Tutar (TL)"), amount,
    h("label", { for: "sale-type" }, "Satış türü"), deal,
    h("label", { for: "sale-date" }, "Satış tarihi"), date,
    error, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const revenue = parseAmountTR(amount.value);
    if (!revenue) { error.textContent = "Tutarı rakamla yazın, örneğin 15.000 veya 15.000,50"; return; }
    const text = `${money.format(Number(revenue))} TL tutarında ${DEAL_TR[deal.value].toLowerCase()} onaylansın mı? (${dateOnly.format(new Date(`${date.value}T12:00:00+03:00`))})`;
    if (!(await confirmDialog(text))) return;
    submit.disabled = true;
    try {
      const body = await api(`/api/admin/leads/${lead.id}/convert`, {
        method: "POST",
        headers: { "Idempotency-Key": key },
        json: { revenue, deal_type: deal.value, closed_at: date.value, second_deal: Boolean(second) },
      });
      toast("Satış kaydedildi");
      onDone(h("div", { class: "card success", id: "sale-ok" },
        h("b", {}, `✓ Satış kaydedildi: ${money.format(Number(body.revenue))} TL`),
        h("div", {}, `Google Ads'e gönderim durumu: ${UPLOAD_TR[body.state] || body.state}`)));
    } catch (err) {
      error.textContent = err.message;
      submit.disabled = false;
    }
  });
  return form;
}

/* A sale Google does not have yet (PENDING) is fixed in place; one it has is sent again, corrected
   or retracted on Google's side (the same buttons as on "Satışlar"). */
function saleCorrection(c, onDone) {
  return saleActions({ ...c, conversion_id: c.cid }, () => onDone(null));
}

function saleFixForm(c, onDone) {
  const amount = h("input", { id: `fix-amount-${c.cid}`, inputmode: "decimal", value: money.format(Number(c.revenue)), autocomplete: "off" });
  const date = h("input", { id: `fix-date-${c.cid}`, type: "date", value: String(c.closed_at).slice(0, 10), max: istanbulToday() });
  const error = h("p", { class: "error" });
  const form = h("form", { class: "fix", hidden: true },
    h("label", { for: amount.id }, "Doğru tutar (TL)"), amount,
    h("label", { for: date.id }, "Doğru tarih"), date, error,
    h("button", { class: "primary", type: "submit", dataset: { needsNetwork: "1" } }, "Düzeltmeyi kaydet"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const revenue = parseAmountTR(amount.value);
    if (!revenue) { error.textContent = "Tutarı rakamla yazın, örneğin 15.000 veya 15.000,50"; return; }
    try {
      await api(`/api/admin/conversions/${c.cid}/fix`, { method: "POST", json: { revenue, closed_at: date.value } });
      toast("Satış düzeltildi");
      onDone(null);
    } catch (err) { error.textContent = err.message; }
  });
  return form;
}

function salesCard(conversions, onDone) {
  return h("section", { class: "card", id: "lead-sales" }, h("h3", {}, "Satışlar ve Google Ads"),
    conversions.map((c) => {
      const fix = c.state === "PENDING" ? saleFixForm(c, onDone) : null;
      return h("div", { class: "sale", dataset: { conversionId: c.cid } },
        h("div", { class: "row" },
          h("b", { class: "grow" }, `${money.format(Number(c.revenue))} TL · ${saleKind(c)}`),
          h("span", { class: `status upload-${c.state}` }, `Google: ${UPLOAD_TR[c.state] || c.state}`)),
        h("div", { class: "muted" }, `Satış tarihi ${dateOnly.format(new Date(c.closed_at))}`
          + (c.attempts ? ` · ${c.attempts} deneme` : "")),
        c.reason ? h("div", { class: "reason" }, `Neden: ${c.reason}`) : null,
        fix ? [h("button", { class: "secondary", type: "button", onclick: () => { fix.hidden = !fix.hidden; } }, "Tutarı / tarihi düzelt"), fix]
          : saleCorrection(c, onDone));
    }));
}

/* The status before the current one, from the history: what "Geri al" goes back to. */
function previousStatus(lead, history) {
  const earlier = history.slice(0, -1).reverse().find((e) => e.status !== lead.status);
  return earlier && earlier.status !== "CONVERTED" ? earlier.status : null;
}

function waLink(phone) {
  return `https://wa.me/${phone.replace(/\D/g, "")}`;
}

/* A page as a person names it: the decoded path; the click id and campaign have their own rows. */
function pagePath(url) {
  try {
    return decodeURIComponent(new URL(url, location.origin).pathname);
  } catch (err) {
    return url;
  }
}

function journeyCard(journey) {
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

async function leadView(id, notice) {
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
  );
  setOffline(state.offline);
}

/* ---------- stats ---------- */
async function statsView(days = 30) {
  const today = istanbulToday();
  const from = new Date(Date.parse(`${today}T12:00:00Z`) - (days - 1) * 86400000).toISOString().slice(0, 10);
  const chips = h("div", { class: "chips" }, [7, 30, 90, 365].map((d) =>
    h("button", { class: `chip${d === days ? " on" : ""}`, type: "button", onclick: () => statsView(d) }, d === 365 ? "1 yıl" : `${d} gün`)));
  const ticket = show(h("h2", {}, "İstatistik"), chips, h("p", { class: "muted" }, "Yükleniyor…"));
  let s;
  try {
    s = await api(`/api/admin/stats?from=${from}&to=${today}`);
  } catch (err) {
    if (err.status !== 401 && current(ticket)) show(h("h2", {}, "İstatistik"), chips, h("p", { class: "error" }, err.message));
    return;
  }
  if (!current(ticket)) return;
  const t = s.totals;
  const kpi = (label, value) => h("div", { class: "kpi" }, h("b", {}, value), h("span", {}, label));
  const named = (rows, names) => rows.map((r) => ({ ...r, value: names[r.value] || r.value }));
  show(
    h("h2", {}, "İstatistik"), chips,
    h("div", { class: "kpis", id: "kpis" },
      kpi("Ziyaret", count.format(t.visits)), kpi("Tekil ziyaretçi", count.format(t.visitors)),
      kpi("Talep", count.format(t.leads)), kpi("Satış", count.format(t.sales)),
      kpi("Ciro (TL)", money.format(t.revenue)), kpi("Talep oranı", percent(t.lead_rate))),
    h("section", { class: "card", id: "chart-daily" }, h("h3", {}, "Günlük ziyaret, talep ve satış"),
      Charts.daily(s.daily, [
        { key: "visits", label: "Ziyaret", color: "#339af0", kind: "line" },
        { key: "leads", label: "Talep", color: "#f08c00", kind: "bars" },
        { key: "sales", label: "Satış", color: "#2b8a3e", kind: "bars" },
      ])),
    h("section", { class: "card", id: "chart-funnel" }, h("h3", {}, "Dönüşüm hunisi"), Charts.funnel(s.funnel)),
    h("section", { class: "card", id: "chart-sources" }, h("h3", {}, "Kaynaklar (ziyaret)"),
      Charts.bars(named(s.by.source, SOURCE_TR), "visits", "Kaynaklar", "#4dabf7")),
    h("section", { class: "card", id: "chart-landing" }, h("h3", {}, "Giriş sayfaları (ziyaret)"), Charts.bars(s.by.landing || [], "visits", "Giriş sayfaları", "#339af0")),
    h("section", { class: "card", id: "chart-cities" }, h("h3", {}, "Şehirler (ziyaret)"), Charts.bars(s.by.city, "visits", "Şehirler", "#845ef7")),
    h("section", { class: "card", id: "chart-campaigns" }, h("h3", {}, "Kampanyalar (talep)"), Charts.bars(s.by.campaign, "leads", "Kampanyalar", "#f08c00", "(kampanya yok)")),
    h("section", { class: "card", id: "chart-devices" }, h("h3", {}, "Cihazlar (ziyaret)"), Charts.bars(named(s.by.device, DEVICE_TR), "visits", "Cihazlar", "#20c997")),
    h("section", { class: "card", id: "chart-variants" }, h("h3", {}, "Sayfa varyantları (talep)"), Charts.bars(named(s.by.variant, VARIANT_TR), "leads", "Varyantlar", "#fab005")),
  );
}

/* ---------- sales / conversions ---------- */
async function salesView() {
  const ticket = show(h("h2", {}, "Satışlar"), h("p", { class: "muted" }, "Yükleniyor…"));
  let body;
  try {
    body = await api("/api/admin/conversions");
  } catch (err) {
    if (err.status !== 401 && current(ticket)) show(h("h2", {}, "Satışlar"), h("p", { class: "error" }, err.message));
    return;
  }
  if (!current(ticket)) return;
  show(
    h("h2", {}, "Satışlar"),
    body.google_ads_configured ? null : h("div", { class: "card banner warn", id: "ads-missing" }, "Google Ads yapılandırılmadı: satışlar kaydediliyor ama Google Ads'e gönderilmiyor."),
    h("div", { class: "chips wrap", id: "sale-counts" }, Object.entries(body.counts).map(([k, v]) => h("span", { class: "chip" }, `${UPLOAD_TR[k]}: ${v}`))),
    body.conversions.length
      ? body.conversions.map((c) => h("div", { class: "card lead", id: `sale-${c.conversion_id}` },
          h("a", { href: `#/lead/${c.lead_id}`, class: "sale-link" },
            h("div", { class: "row" }, h("span", { class: "name grow" }, c.lead_name || "(isimsiz)"), h("span", { class: `status upload-${c.state}` }, UPLOAD_TR[c.state] || c.state)),
            h("div", {}, `${money.format(Number(c.revenue))} TL · ${saleKind(c)}`),
            h("div", { class: "muted" }, `${dateOnly.format(new Date(c.closed_at))}${c.reason ? ` · ${c.reason}` : ""}`)),
          saleActions(c)))
      : h("p", { class: "muted" }, "Henüz satış yok"),
  );
}

/* conv-stages: lead-stage conversions, "Yeniden gönder" and "Satışı düzelt / iptal" */
const STAGE_TR = { CONTACTED: "Nitelikli talep (Arandı)" };
const ADJUST_TR = { RETRACTION: "Düzeltme: satış iptali", RESTATEMENT: "Düzeltme: yeni tutar" };

function saleKind(c) {
  if (c.adjustment) return ADJUST_TR[c.adjustment] || c.adjustment;
  if (STAGE_TR[c.stage]) return STAGE_TR[c.stage];
  return DEAL_TR[c.deal_type] || c.deal_type;
}

async function saleAction(path, json, done, after) {
  try {
    await api(path, { method: "POST", json });
    toast(done);
    after();
  } catch (err) {
    if (err.status !== 401) toast(err.message);
  }
}

function saleActions(c, after = salesView) {
  const buttons = [];
  if (c.state === "FAILED" || c.state === "RETRY") {
    buttons.push(h("button", { type: "button", class: "sale-retry", dataset: { needsNetwork: "1" },
      onclick: () => saleAction(`/api/admin/conversions/${c.conversion_id}/retry`, undefined, "Yeniden gönderim için sıraya alındı", after) }, "Yeniden gönder"));
  }
  const isSale = !c.adjustment && (c.stage === "" || c.stage === "CONVERTED") && c.state !== "SKIPPED";
  if (isSale) {
    const amount = h("input", { type: "text", inputmode: "decimal", class: "sale-new-revenue", placeholder: "Yeni tutar (TL)", hidden: true });
    const restate = h("button", { type: "button", class: "sale-restate", hidden: true, dataset: { needsNetwork: "1" },
      onclick: () => saleAction(`/api/admin/conversions/${c.conversion_id}/correct`, { action: "restate", revenue: amount.value.trim().replace(",", ".") }, "Yeni tutar kaydedildi", after) }, "Yeni tutarı gönder");
    const retract = h("button", { type: "button", class: "danger sale-retract", hidden: true, dataset: { needsNetwork: "1" },
      onclick: () => confirm("Satış iptal edilsin mi? Google Ads'e iptal bildirilir.") && saleAction(`/api/admin/conversions/${c.conversion_id}/correct`, { action: "retract" }, "Satış iptal edildi", after) }, "Satışı iptal et");
    const open = h("button", { type: "button", class: "sale-correct",
      onclick: () => { open.hidden = true; amount.hidden = restate.hidden = retract.hidden = false; amount.focus(); } }, "Satışı düzelt / iptal");
    buttons.push(open, amount, restate, retract);
  }
  return buttons.length ? h("div", { class: "row sale-actions" }, buttons) : null;
}

/* ---------- settings: push ---------- */
function urlBase64ToUint8Array(base64) {
  const padded = (base64 + "=".repeat((4 - (base64.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function settingsView() {
  const note = h("p", { class: "muted", id: "push-note" });
  const toggle = h("input", { type: "checkbox", id: "push-toggle", disabled: true });
  show(
    h("h2", {}, "Ayarlar"),
    h("section", { class: "card" }, h("label", { class: "switch" }, h("span", {}, "Yeni talep bildirimleri"), toggle), note),
    h("section", { class: "card" }, h("button", { class: "danger", type: "button", onclick: () => logout("Çıkış yapıldı") }, "Çıkış yap")),
  );
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    note.textContent = "Bu tarayıcı bildirimleri desteklemiyor. iPhone'da önce 'Ana Ekrana Ekle' yapın.";
    return;
  }
  const { public_key: key } = await api("/api/admin/push/key").catch(() => ({ public_key: "" }));
  if (!key) { note.textContent = "Bildirim anahtarı (VAPID) sunucuda yapılandırılmadı."; return; }
  const reg = await navigator.serviceWorker.ready;
  const current = await reg.pushManager.getSubscription();
  toggle.checked = Boolean(current);
  toggle.disabled = false;
  toggle.addEventListener("change", async () => {
    toggle.disabled = true;
    try {
      if (toggle.checked) {
        if ((await Notification.requestPermission()) !== "granted") throw new Error("Bildirim izni verilmedi");
        const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlBase64ToUint8Array(key) });
        await api("/api/admin/push/subscribe", { method: "POST", json: sub.toJSON() });
        note.textContent = "Bildirimler açık";
      } else {
        const sub = await reg.pushManager.getSubscription();
        if (sub) {
          await api("/api/admin/push/unsubscribe", { method: "POST", json: { endpoint: sub.endpoint } });
          await sub.unsubscribe();
        }
        note.textContent = "Bildirimler kapalı";
      }
    } catch (err) {
      toggle.checked = !toggle.checked;
      note.textContent = err.message;
    }
    toggle.disabled = false;
  });
}

/* ---------- router ---------- */
function route() {
  const hash = location.hash || "#/leads";
  clearInterval(state.timer);
  if (!state.secret) return loginView();
  document.getElementById("nav").hidden = false;
  const tab = hash.split("/")[1];
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.tab === tab || (tab === "lead" && a.dataset.tab === "leads")));
  if (tab !== "leads") {
    api("/api/admin/leads?status=NEW&limit=1").then((body) => updateBadge(body.counts)).catch(() => {});
  }
  if (hash.startsWith("#/lead/")) return leadView(hash.slice("#/lead/".length));
  if (hash.startsWith("#/stats")) return statsView();
  if (hash.startsWith("#/sales")) return salesView();
  if (hash.startsWith("#/settings")) return settingsView();
  if (hash.startsWith("#/login")) { location.hash = "#/leads"; return undefined; }
  return leadsView();
}

window.addEventListener("hashchange", route);
window.addEventListener("online", () => setOffline(false));
window.addEventListener("offline", () => setOffline(true));
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/admin/sw.js", { scope: "/admin/" }).catch((err) => console.warn("service worker", err));
}
route();
