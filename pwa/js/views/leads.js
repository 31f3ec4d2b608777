/* The lead list: filters, search, paging, pull to refresh, the NEW badge. */
import { api } from "../api.js";
import { h, show, state, view } from "../dom.js";
import { CHANNEL_TR, SOURCE_TR, STATUS_TR, SUSPICIOUS_TR, count, dateTime, phoneText } from "../i18n.js";

export function leadCard(lead) {
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

export function updateBadge(counts) {
  const badge = document.getElementById("new-badge");
  badge.textContent = count.format(counts.NEW || 0);
  badge.hidden = !counts.NEW;
}

export async function leadsView() {
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

export function enablePullToRefresh(indicator, refresh) {
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
