/* İstatistik: totals and charts (charts.js) for 7, 30, 90 or 365 days. */
import { api } from "../api.js";
import { current, h, show } from "../dom.js";
import { DEVICE_TR, SOURCE_TR, VARIANT_TR, count, istanbulToday, money, percent } from "../i18n.js";

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
