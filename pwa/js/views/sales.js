/* Sales: 'Satış Onayla', fixing a sale not sent yet, 'Yeniden gönder', 'Satışı düzelt / iptal', the Satışlar list. */
import { api } from "../api.js";
import { confirmDialog, current, h, show, toast } from "../dom.js";
import { ADJUST_TR, DEAL_TR, STAGE_TR, UPLOAD_TR, dateOnly, istanbulToday, money, parseAmountTR } from "../i18n.js";

export function saleForm(lead, onDone, second) {
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
export function saleCorrection(c, onDone) {
  return saleActions({ ...c, conversion_id: c.cid }, () => onDone(null));
}

export function saleFixForm(c, onDone) {
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

export function salesCard(conversions, onDone) {
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

export async function salesView() {
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

export function saleKind(c) {
  if (c.adjustment) return ADJUST_TR[c.adjustment] || c.adjustment;
  if (STAGE_TR[c.stage]) return STAGE_TR[c.stage];
  return DEAL_TR[c.deal_type] || c.deal_type;
}

export async function saleAction(path, json, done, after) {
  try {
    await api(path, { method: "POST", json });
    toast(done);
    after();
  } catch (err) {
    if (err.status !== 401) toast(err.message);
  }
}

export function saleActions(c, after = salesView) {
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
