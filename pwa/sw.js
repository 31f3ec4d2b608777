/* Service worker: the app shell from cache, and the last lead list kept for offline, read-only use. */
"use strict";

const SHELL_CACHE = "eslamed-shell-v4";
const DATA_CACHE = "eslamed-data-v1";
const SHELL = [
  "/admin/",
  "/admin/js/router.js",
  "/admin/js/api.js",
  "/admin/js/dom.js",
  "/admin/js/i18n.js",
  "/admin/js/views/lead.js",
  "/admin/js/views/leads.js",
  "/admin/js/views/login.js",
  "/admin/js/views/sales.js",
  "/admin/js/views/settings.js",
  "/admin/js/views/stats.js",
  "/admin/charts.js",
  "/admin/styles.css",
  "/admin/manifest.webmanifest",
  "/admin/icons/icon-192.png",
  "/admin/icons/icon-512.png",
];
const LEAD_LIST_KEY = "/admin/offline/leads.json";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => ![SHELL_CACHE, DATA_CACHE].includes(k)).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

const LIST_FILTERS = ["cursor", "q", "status", "source", "traffic", "from", "to"];

function isLeadList(url) {
  return url.pathname === "/api/admin/leads";
}

/* Only the plain first page ("Tümü") is kept: a filtered or partial list must not replace it. */
function isPlainList(url) {
  return LIST_FILTERS.every((name) => !url.searchParams.get(name));
}

/* Network first; a good answer replaces the saved list, a failed fetch falls back to it. */
async function leadList(request) {
  const cache = await caches.open(DATA_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && isPlainList(new URL(request.url))) {
      await cache.put(LEAD_LIST_KEY, response.clone());
    }
    return response;
  } catch (err) {
    const saved = await cache.match(LEAD_LIST_KEY);
    if (!saved) throw err;
    const headers = new Headers(saved.headers);
    headers.set("X-Eslamed-Offline", "1");
    return new Response(await saved.blob(), { status: 200, headers });
  }
}

/* Shell: network first so a new version shows at once, cache when offline. */
async function shell(request) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (err) {
    const saved = (await cache.match(request, { ignoreSearch: true })) || (request.mode === "navigate" && (await cache.match("/admin/")));
    if (saved) return saved;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (isLeadList(url)) event.respondWith(leadList(event.request));
  else if (url.pathname.startsWith("/admin/")) event.respondWith(shell(event.request));
});

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (err) {
    data = { body: event.data ? event.data.text() : "" };
  }
  const title = data.title || "Yeni talep";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: data.body || "",
      icon: "/admin/icons/icon-192.png",
      tag: data.lead_id || "eslamed",
      data: { url: data.lead_id ? `/admin/#/lead/${data.lead_id}` : "/admin/#/leads" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});
