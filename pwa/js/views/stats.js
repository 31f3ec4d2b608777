/* İstatistik: totals and charts (charts.js) for 7, 30, 90 or 365 days. */
import { api } from "../api.js";
import { current, h, show } from "../dom.js";
import {
  DEVICE_TR, SOURCE_TR, VARIANT_TR, count, dateTime, istanbulToday, lira, money, percent, reasonTR,
} from "../i18n.js";

/* Harcama, Talep, Talep başı maliyet, Satış, Ciro, ROAS per campaign, biggest spend first. */
function campaignTable(rows, currency) {
  const sorted = [...rows].sort((a, b) => b.cost - a.cost || b.leads - a.leads);
  const roas = (r) => (r.roas === null ? "—" : `${money.format(r.roas)}×`);
  const head = ["Kampanya", "Harcama", "Talep", "Talep başı maliyet", "Satış", "Ciro", "ROAS"];
  return h("div", { class: "table-scroll" }, h("table", { class: "campaigns" },
    h("thead", {}, h("tr", {}, head.map((label) => h("th", {}, label)))),
    h("tbody", {}, sorted.map((r) => h("tr", { "data-campaign": r.campaign_id || "" },
      h("td", {}, r.value || "(kampanya yok)"), h("td", {}, lira(r.cost, currency)), h("td", {}, count.format(r.leads)),
      h("td", {}, lira(r.cost_per_lead, currency)), h("td", {}, count.format(r.sales)),
      h("td", {}, lira(r.revenue)), h("td", {}, roas(r)))))));
}

/* When the spend was last read from Google Ads, or why Google refused it. */
function importLine(state) {
  if (!state) return h("p", { class: "muted", id: "ad-import" }, "Reklam harcaması henüz alınmadı (Google Ads bağlı değil).");
  if (!state.ok) return h("p", { class: "error", id: "ad-import" }, `Reklam harcaması alınamadı: ${reasonTR(state.reason)}`);
  return h("p", { class: "muted", id: "ad-import" }, `Reklam harcaması güncellendi: ${dateTime.format(new Date(state.at))}`);
}

export async function statsView(days = 30) {
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
      kpi("Ciro (TL)", money.format(t.revenue)), kpi("Talep oranı", percent(t.lead_rate)),
      kpi("Reklam harcaması", lira(t.cost, s.currency)), kpi("Talep başı maliyet", lira(t.cost_per_lead, s.currency)),
      kpi("Satış başı maliyet", lira(t.cost_per_sale, s.currency)), kpi("ROAS (ciro ÷ harcama)", t.roas === null ? "—" : `${money.format(t.roas)}×`)),
    importLine(s.ad_import),
    h("section", { class: "card", id: "chart-daily" }, h("h3", {}, "Günlük ziyaret, talep, satış ve reklam harcaması"),
      Charts.daily(s.daily, [
        { key: "visits", label: "Ziyaret", color: "#339af0", kind: "line" },
        { key: "leads", label: "Talep", color: "#f08c00", kind: "bars" },
        { key: "sales", label: "Satış", color: "#2b8a3e", kind: "bars" },
        ...(t.cost > 0 ? [{ key: "cost", label: "Reklam harcaması", color: "#e03131", kind: "bars", format: (v) => lira(v, s.currency) }] : []),
      ])),
    h("section", { class: "card", id: "campaign-table" }, h("h3", {}, "Kampanyalar: harcama ve getiri"), campaignTable(s.by.campaign, s.currency)),
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
