/* The page: the session state, the DOM helper, the view slot, toasts, the offline banner, the confirm dialog. */

export const SECRET_KEY = "eslamed.adminSecret";

export const state = { secret: localStorage.getItem(SECRET_KEY) || "", offline: false, leadFilter: "", search: "", timer: 0, shown: 0 };

/* DOM helper: text always goes in as text, never as HTML. */
export function h(tag, attrs, ...children) {
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

export const view = () => document.getElementById("view");

/* Returns a ticket: a view that awaits an answer shows it only while still current(ticket), so a slow
   answer for a view the owner already left never replaces the one on screen. */
export function show(...nodes) {
  view().replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  window.scrollTo(0, 0);
  state.shown += 1;
  return state.shown;
}

export const current = (ticket) => ticket === state.shown;

export function toast(text) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 3500);
}

export function setOffline(offline) {
  state.offline = offline;
  document.getElementById("offline").hidden = !offline;
  document.querySelectorAll("[data-needs-network]").forEach((b) => (b.disabled = offline));
}

export function confirmDialog(text) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}
