/* Eslamed tracking.js: page views, call/WhatsApp taps, [data-track] clicks, scroll depth and
   JS errors, batched to /api/track. Budget: 1,024 bytes after minify + gzip -9 (the build checks),
   hence the one-letter names: d document, K attribution keys, P URL parameters,
   F "this visit is an ad click", A attribution (+ visitor_id), Q queue, D scroll marks,
   R error count, I uuid, W page-view id, Y persist, S send, G flush, V record, C consent;
   E: hooks for site.js.

   KVKK: until the esl_consent cookie says 1 nothing is written to the device; events go out
   without visitor_id and the click id lives only in this page (A). The banner (site.js) calls
   E.p() on "Kabul", which starts the 90-day first-party cookie + localStorage copy and sends a
   "consent" event carrying both this page view's in-memory id (props.pv, on every event) and the
   new visitor_id: the server joins the page's earlier events to the visitor through it.
   Sessions are derived on the server from visitor_id (or pv) and time, as Plausible does.
   Every handler is wrapped: this script never throws into the page. */
(d => {
  try {
    var K = "gclid gbraid wbraid utm_source utm_medium utm_campaign utm_term utm_content".split(" "),
      P = new URLSearchParams(location.search),
      F = K.some(k => P.get(k)),
      D = [25, 50, 75, 100],
      Q = [],
      A = {},
      R = 0,
      s,
      // A random UUID from a blob URL: unlike crypto.randomUUID it also exists outside secure contexts
      // (the few empty blob URLs a page makes this way are freed when it unloads).
      I = () => URL.createObjectURL(new Blob).slice(-36),
      W = I(),
      // Start (or refresh after a new ad click) the 90-day copy; only ever called with consent.
      // URLSearchParams serialises without ; or , so the same string fits a cookie and localStorage.
      // A.e is that copy's expiry; it rides along in events too, where the server ignores it.
      Y = () => {
        try {
          if (F || !A.e) {
            A.visitor_id = A.visitor_id || I();
            A.e = Date.now() + 7776e6;
            d.cookie = "esl_a=" + (localStorage.esl_a = new URLSearchParams(A)) + ";max-age=7776000;path=/";
          }
        } catch {}
      },
      // A batch goes by sendBeacon (text/plain, no CORS preflight); when the browser refuses it, and on
      // every retry, by fetch keepalive. Only network errors and 5xx are retried, with doubling delays.
      S = (b, k) => {
        try {
          if (k || !navigator.sendBeacon("/api/track", b))
            fetch("/api/track", { method: "POST", body: b, keepalive: 1 })
              .then(r => {
                if (r.status >= 500) throw 0;
              })
              .catch(() => k < 5 && setTimeout(S, 1e3 << k, b, k + 1));
        } catch {}
      },
      // The queue stays short (a page view, 4 scroll marks, 5 errors, a few taps),
      // so one batch is well inside the server's 50 events / 16 KB.
      G = () => Q[0] && S(JSON.stringify({ events: Q.splice(0) }), 0),
      V = (t, p) => {
        Q.push({
          ...A,
          event_id: I(),
          type: t,
          url: d.URL.slice(0, 2e3),
          ref: d.referrer,
          title: d.title,
          ts: Date.now(),
          screen: screen.width + "x" + screen.height,
          lang: navigator.language,
          props: { ...p, variant: d.body.dataset.v, pv: W }
        });
        setTimeout(G, 1e3);
      },
      C = /esl_consent=1/.test(d.cookie);
    if (C)
      try {
        s = Object.fromEntries(new URLSearchParams(localStorage.esl_a || d.cookie.match(/esl_a=([^;]*)/)[1]));
        s.e > Date.now() && (A = s);
      } catch {}
    K.map(k => F && (A[k] = P.get(k) || ""));
    if (C) Y();
    d.addEventListener(
      "click",
      e => {
        try {
          // No match: a is null and the throw is caught, which costs fewer bytes than a test.
          var a = e.target.closest("[href^='tel:'],[href*='wa.me'],[data-track]"),
            h = a.getAttribute("href") || "";
          V(/^tel:/.test(h) ? "call_click" : /wa\.me/.test(h) ? "whatsapp_click" : "click", {
            el: a.dataset.track || h.slice(0, 200)
          });
        } catch {}
      },
      1
    );
    // Scroll events cannot be cancelled, so the listener needs no {passive: true}.
    addEventListener("scroll", () => {
      for (var p = (scrollY + innerHeight) * 100 / d.body.scrollHeight; D[0] <= p + 1; )
        V("scroll", { depth: D.shift() });
    });
    addEventListener("error", e => R++ < 5 && V("error", { msg: (e.message + "").slice(0, 200) }));
    // The tab is hidden, switched or closed, or the page is left (the spec and Chromium fire it on
    // unload too, before pagehide): the last chance to send, so a page left within the 1 s batching
    // delay keeps its page view. It bubbles from the document; flushing early when a tab comes back
    // costs nothing. A tap that leaves the page (wa.me) or hides it (the dialer) is sent here too.
    addEventListener("visibilitychange", G);
    // "Kabul" goes at once, as the page view does: a link tapped right after it leaves the page (issue 22).
    window.E = { a: A, p: () => (Y(), G(V("consent"))), t: V };
    // The page view goes at once, not after the batching delay: a page closed within a second on a
    // busy phone may never run its hide handler (the browser kills a renderer slow to unload).
    G(V("pageview"));
  } catch {}
})(document);
