/* Eslamed site.js: the KVKK consent banner, the keyword headline, the "Hemen Ara" lead form and
   the leads made by call / WhatsApp taps.

   Leads go to /api/lead. A form lead that cannot be delivered (no network, server down) is kept
   in localStorage ("esl_leads", strictly necessary: the visitor asked to be called) and retried
   with backoff, on the "online" event and on every later page load, until the API answers.
   The click ids come from tracking.js (window.E) or, when an ad blocker removed it, straight
   from the URL; before consent they exist only in this page and in the form's hidden fields. */
(function () {
  "use strict";

  var LEAD_URL = "/api/lead";
  var OUTBOX_KEY = "esl_leads";
  var CONSENT_COOKIE = "esl_consent";
  var CONSENT_MAX_AGE_S = 180 * 24 * 3600;
  var CLICK_KEYS = ["gclid", "gbraid", "wbraid", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var FIRST_RETRY_MS = 2000;
  var MAX_RETRY_MS = 30000;
  var TEXT = {
    sending: "Gönderiliyor…",
    done: "Teşekkürler! Talebiniz bize ulaştı, en kısa sürede sizi arayacağız.",
    queued:
      "İnternet bağlantısı kurulamadı. Talebiniz bu cihazda saklandı ve bağlantı gelince otomatik olarak gönderilecek.",
    late: "Talebiniz şimdi iletildi. Teşekkürler, en kısa sürede sizi arayacağız.",
    invalid: "Lütfen adınızı ve telefon numaranızı kontrol edin."
  };

  var params = new URLSearchParams(location.search);
  var variant = document.body.getAttribute("data-v") || "";

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return URL.createObjectURL(new Blob()).slice(-36);
  }

  function readCookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? match[1] : null;
  }

  function consented() {
    return readCookie(CONSENT_COOKIE) === "1";
  }

  function tracker() {
    return window.E || null;
  }

  function track(type, props) {
    var e = tracker();
    if (e) e.t(type, props);
  }

  /* Attribution of this page view: the same values tracking.js sends with every event. */
  function attribution() {
    var kept = tracker() ? tracker().a : null;
    var out = { visitor_id: (kept && kept.visitor_id) || "" };
    CLICK_KEYS.forEach(function (key) {
      out[key] = kept ? kept[key] || "" : params.get(key) || "";
    });
    return out;
  }

  /* ---- KVKK consent ---- */

  var banner = document.getElementById("consent");
  var settings = document.getElementById("consent-settings");
  var adsBox = document.getElementById("consent-ads");

  function forgetTracking() {
    document.cookie = "esl_a=;max-age=0;path=/";
    try {
      localStorage.removeItem("esl_a");
    } catch (err) {
      /* storage blocked: nothing was stored either */
    }
  }

  function choose(accepted) {
    var secure = location.protocol === "https:" ? ";secure" : "";
    document.cookie =
      CONSENT_COOKIE + "=" + (accepted ? 1 : 0) + ";max-age=" + CONSENT_MAX_AGE_S + ";path=/;samesite=lax" + secure;
    if (accepted) {
      if (tracker()) tracker().p();
    } else {
      forgetTracking();
    }
    banner.hidden = true;
    fillForms();
  }

  function openBanner(withSettings) {
    settings.hidden = !withSettings;
    adsBox.checked = consented();
    banner.hidden = false;
  }

  if (banner) {
    banner.addEventListener("click", function (event) {
      var action = event.target.getAttribute("data-consent");
      if (action === "accept") choose(true);
      else if (action === "reject") choose(false);
      else if (action === "settings") openBanner(settings.hidden);
      else if (action === "save") choose(adsBox.checked);
    });
    document.querySelectorAll("[data-consent-open]").forEach(function (button) {
      button.addEventListener("click", function () {
        openBanner(true);
      });
    });
    if (readCookie(CONSENT_COOKIE) === null) openBanner(false);
  }

  /* ---- Headline from ?kw= or utm_term: always text, never markup ---- */

  (function personalise() {
    var heading = document.querySelector("h1[data-kw]");
    var kw = (params.get("kw") || params.get("utm_term") || "").replace(/\s+/g, " ").trim().slice(0, 60);
    var template = heading ? heading.getAttribute("data-kw") : "";
    if (!kw || template.indexOf("{kw}") < 0) return;
    kw = kw.charAt(0).toLocaleUpperCase("tr") + kw.slice(1);
    heading.textContent = template.replace("{kw}", function () {
      return kw;
    });
  })();

  /* ---- Lead delivery: an outbox that survives reloads for form leads ---- */

  var outbox = [];
  var sending = false;
  var retryMs = FIRST_RETRY_MS;
  var retryTimer = 0;

  function saveOutbox() {
    var kept = outbox
      .filter(function (item) {
        return item.keep;
      })
      .map(function (item) {
        return item.lead;
      });
    try {
      if (kept.length) localStorage.setItem(OUTBOX_KEY, JSON.stringify(kept));
      else localStorage.removeItem(OUTBOX_KEY);
    } catch (err) {
      /* storage blocked or full: the lead still retries while the page is open */
    }
  }

  function loadOutbox() {
    try {
      JSON.parse(localStorage.getItem(OUTBOX_KEY) || "[]").forEach(function (lead) {
        outbox.push({ lead: lead, keep: true, form: null });
      });
    } catch (err) {
      /* unreadable entry: nothing to resend */
    }
  }

  /* Resolves to "ok" (stored or queued by the server), "invalid" (400/413: resending cannot
     help) or "retry" (network error, 429, 5xx, anything unexpected), with the server's
     Retry-After in ms when it sent one (every 429 and 503 does). */
  function post(lead) {
    return fetch(LEAD_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(lead),
      keepalive: true
    }).then(
      function (response) {
        if (response.status >= 200 && response.status < 300) return { state: "ok" };
        if (response.status === 400 || response.status === 413) {
          return response.json().then(
            function (body) {
              return { state: "invalid", body: body };
            },
            function () {
              return { state: "invalid", body: {} };
            }
          );
        }
        return { state: "retry", afterMs: (Number(response.headers.get("Retry-After")) || 0) * 1000 };
      },
      function () {
        return { state: "retry" };
      }
    );
  }

  function pump() {
    if (sending || !outbox.length) return;
    sending = true;
    var item = outbox[0];
    post(item.lead).then(function (result) {
      sending = false;
      if (result.state === "retry") {
        if (item.form) showStatus(item.form, TEXT.queued, "wait");
        item.late = true;
        clearTimeout(retryTimer);
        retryTimer = setTimeout(pump, Math.max(retryMs, result.afterMs || 0));
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
        return;
      }
      outbox.shift();
      saveOutbox();
      retryMs = FIRST_RETRY_MS;
      if (item.form) finish(item, result);
      pump();
    });
  }

  function send(lead, keep, form) {
    outbox.push({ lead: lead, keep: keep, form: form });
    if (keep) saveOutbox();
    pump();
  }

  window.addEventListener("online", function () {
    retryMs = FIRST_RETRY_MS;
    clearTimeout(retryTimer);
    pump();
  });

  /* ---- The "Hemen Ara" form ---- */

  function showStatus(form, text, kind) {
    var status = form.querySelector("[data-lead-status]");
    status.textContent = text;
    status.className = "lead-status " + kind;
  }

  function fillForms() {
    var values = attribution();
    document.querySelectorAll("form[data-lead-form]").forEach(function (form) {
      Object.keys(values).forEach(function (name) {
        if (form.elements[name]) form.elements[name].value = values[name];
      });
    });
  }

  function finish(item, result) {
    var form = item.form;
    form.querySelector("button[type=submit]").disabled = false;
    if (result.state === "ok") {
      showStatus(form, item.late ? TEXT.late : TEXT.done, "ok");
      form.reset();
      fillForms();
      return;
    }
    var body = result.body || {};
    var field = body.field && form.elements[body.field];
    if (field && field.setAttribute) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
    showStatus(form, body.message_tr || TEXT.invalid, "err");
  }

  /* fill_ms counts from the visitor's first touch of the form, not from page load: reading the page
     first is no sign of a bot. A form sent without any touch (a script) counts from page load. */
  function formLead(form, startedAt) {
    var data = new FormData(form);
    var lead = {
      lead_id: uuid(),
      source: "form",
      url: location.href,
      variant: variant,
      consent: data.get("consent") === "true",
      fill_ms: Math.round(performance.now() - startedAt)
    };
    ["name", "phone", "message", "website", "visitor_id"].concat(CLICK_KEYS).forEach(function (name) {
      lead[name] = (data.get(name) || "").trim();
    });
    return lead;
  }

  document.querySelectorAll("form[data-lead-form]").forEach(function (form) {
    var startedAt = null;
    function touched() {
      if (startedAt !== null) return;
      startedAt = performance.now();
      track("form_start", { form: "hemen-ara" });
    }
    form.addEventListener("focusin", touched);
    form.addEventListener("pointerdown", touched);
    form.addEventListener("input", function (event) {
      touched();
      event.target.removeAttribute("aria-invalid");
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.elements.name.value.trim() || form.elements.phone.value.replace(/\D/g, "").length < 10) {
        showStatus(form, TEXT.invalid, "err");
        form.elements[form.elements.name.value.trim() ? "phone" : "name"].focus();
        return;
      }
      form.querySelector("button[type=submit]").disabled = true;
      showStatus(form, TEXT.sending, "wait");
      send(formLead(form, startedAt === null ? 0 : startedAt), true, form);
    });
  });

  /* ---- Call and WhatsApp taps are leads too: one per channel per page view ---- */

  /* A WhatsApp tap's reference code: made for this page view, kept only in this page and in the
     prefilled text ("… (ref K7Q2M)"), so the message that follows finds this tap's lead and click
     (eslamed/inbound/refs.py has the same alphabet: no 0/O, no 1/I). Nothing touches storage. */
  var REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  var ref = "";

  function refCode() {
    if (!ref) {
      var bytes = new Uint8Array(5);
      crypto.getRandomValues(bytes);
      bytes.forEach(function (b) {
        ref += REF_ALPHABET.charAt(b % REF_ALPHABET.length);
      });
    }
    return ref;
  }

  /* Rewritten while the click is dispatched, so the browser follows the link with the code in it. */
  function addRef(link) {
    var original = link.getAttribute("data-wa-href") || link.getAttribute("href");
    link.setAttribute("data-wa-href", original);
    var url = new URL(original, location.href);
    var text = (url.searchParams.get("text") || "") + " (ref " + refCode() + ")";
    url.search = "?text=" + encodeURIComponent(text); // %20, not "+": WhatsApp shows a "+" as is
    link.setAttribute("href", url.toString());
  }

  var tapped = {};
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='tel:'], a[href*='wa.me']") : null;
    if (!link) return;
    var source = link.getAttribute("href").indexOf("tel:") === 0 ? "call" : "whatsapp";
    if (source === "whatsapp") addRef(link);
    if (tapped[source]) return;
    tapped[source] = true;
    var lead = attribution();
    lead.lead_id = uuid();
    lead.source = source;
    lead.url = location.href;
    lead.variant = variant;
    lead.consent = consented();
    if (source === "whatsapp") lead.ref = refCode();
    send(lead, false, null);
  });

  fillForms();
  loadOutbox();
  pump();
})();
