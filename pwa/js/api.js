/* The admin API: every call carries the secret; a 401 logs out, a network failure shows the offline banner. */
import { SECRET_KEY, setOffline, state, toast } from "./dom.js";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message_tr || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(path, options = {}) {
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

/* A file the API makes (the KVKK export): fetched with the secret, saved by the browser under `filename`. */
export async function download(path, filename) {
  const response = await fetch(path, { headers: { "X-Admin-Secret": state.secret }, cache: "no-store" });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => ({})));
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

export function logout(message) {
  localStorage.removeItem(SECRET_KEY);
  state.secret = "";
  if (window.caches) caches.delete("eslamed-data-v1");
  location.hash = "#/login";
  if (message) toast(message);
}
