/* Login: the admin secret, kept on this device only. */
import { api } from "../api.js";
import { SECRET_KEY, h, show, state } from "../dom.js";

export function loginView() {
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
