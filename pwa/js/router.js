/* The entry module: the hash router, online/offline events and the service worker. */
import { api } from "./api.js";
import { setOffline, state } from "./dom.js";
import { leadView } from "./views/lead.js";
import { leadsView, updateBadge } from "./views/leads.js";
import { loginView } from "./views/login.js";
import { salesView } from "./views/sales.js";
import { settingsView } from "./views/settings.js";
import { statsView } from "./views/stats.js";

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
