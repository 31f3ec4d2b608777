/* Ayarlar: push notifications on or off, log out. */
import { api, logout } from "../api.js";
import { h, show } from "../dom.js";

export function urlBase64ToUint8Array(base64) {
  const padded = (base64 + "=".repeat((4 - (base64.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

export async function settingsView() {
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
