/* Eslamed tracking.js: page views, call/WhatsApp taps, [data-track] clicks, scroll depth and
   JS errors, batched to /api/track. Budget: 1,024 bytes after minify + gzip -9 (the build checks
   it); esbuild renames the locals, so the names here can say what they hold. `window.E` is the
   one name site.js reads: E.a the attribution, E.p() consent given, E.t(type, props) an event.

   KVKK: until the esl_consent cookie says 1 nothing is written to the device; events go out
   without visitor_id and the click id lives only in this page (attribution). The banner (site.js)
   calls E.p() on "Kabul", which starts the 90-day first-party cookie + localStorage copy and sends
   a "consent" event carrying both this page view's in-memory id (props.pv, on every event) and the
   new visitor_id: the server joins the page's earlier events to the visitor through it.
   Sessions are derived on the server from visitor_id (or pv) and time, as Plausible does.
   Every handler is wrapped: this script never throws into the page. */
(doc => {
  try {
    var clickKeys = "gclid gbraid wbraid utm_source utm_medium utm_campaign utm_term utm_content".split(" "),
      params = new URLSearchParams(location.search),
      adClick = clickKeys.some(key => params.get(key)),
      scrollMarks = [25, 50, 75, 100],
      queue = [],
      attribution = {},
      errors = 0,
      stored,
      // A random UUID from a blob URL: unlike crypto.randomUUID it also exists outside secure contexts
      // (the few empty blob URLs a page makes this way are freed when it unloads).
      uuid = () => URL.createObjectURL(new Blob).slice(-36),
      pageView = uuid(),
      // Start (or refresh after a new ad click) the 90-day copy; only ever called with consent.
      // URLSearchParams serialises without ; or , so the same string fits a cookie and localStorage.
      // attribution.e is that copy's expiry; it rides along in events too, where the server ignores it.
      persist = () => {
        try {
          if (adClick || !attribution.e) {
            attribution.visitor_id = attribution.visitor_id || uuid();
            attribution.e = Date.now() + 7776e6;
            doc.cookie =
              "esl_a=" + (localStorage.esl_a = new URLSearchParams(attribution)) + ";max-age=7776000;path=/";
          }
        } catch {}
      },
      // A batch goes by sendBeacon (text/plain, no CORS preflight); when the browser refuses it, and on
      // every retry, by fetch keepalive. Network errors, 429 and 5xx are retried five times: after the
      // server's Retry-After (every 429 and 503 has one), else after 1, 2, 4, 8 and 16 seconds.
      send = (batch, tries) => {
        try {
          if (tries || !navigator.sendBeacon("/api/track", batch))
            fetch("/api/track", { method: "POST", body: batch, keepalive: 1 })
              .then(answer => {
                if (answer.status > 428) throw answer.headers.get("Retry-After") * 1e3;
              })
              .catch(wait => tries < 5 && setTimeout(send, +wait || 1e3 << tries, batch, tries + 1));
        } catch {}
      },
      // The queue stays short (a page view, 4 scroll marks, 5 errors, a few taps),
      // so one batch is well inside the server's 50 events / 16 KB.
      flush = () => queue[0] && send(JSON.stringify({ events: queue.splice(0) }), 0),
      record = (type, props) => {
        queue.push({
          ...attribution,
          event_id: uuid(),
          type,
          url: doc.URL.slice(0, 2e3),
          ref: doc.referrer,
          title: doc.title,
          ts: Date.now(),
          screen: screen.width + "x" + screen.height,
          lang: navigator.language,
          props: { ...props, variant: doc.body.dataset.v, pv: pageView }
        });
        setTimeout(flush, 1e3);
      },
      consented = /esl_consent=1/.test(doc.cookie);
    if (consented)
      try {
        stored = Object.fromEntries(
          new URLSearchParams(localStorage.esl_a || doc.cookie.match(/esl_a=([^;]*)/)[1])
        );
        stored.e > Date.now() && (attribution = stored);
      } catch {}
    clickKeys.map(key => adClick && (attribution[key] = params.get(key) || ""));
    if (consented) persist();
    doc.addEventListener(
      "click",
      event => {
        try {
          // No match: link is null and the throw is caught, which costs fewer bytes than a test.
          var link = event.target.closest("[href^='tel:'],[href*='wa.me'],[data-track]"),
            href = link.getAttribute("href") || "";
          record(/^tel:/.test(href) ? "call_click" : /wa\.me/.test(href) ? "whatsapp_click" : "click", {
            el: link.dataset.track || href.slice(0, 200)
          });
        } catch {}
      },
      1
    );
    // Scroll events cannot be cancelled, so the listener needs no {passive: true}.
    addEventListener("scroll", () => {
      for (var seen = (scrollY + innerHeight) * 100 / doc.body.scrollHeight; scrollMarks[0] <= seen + 1; )
        record("scroll", { depth: scrollMarks.shift() });
    });
    addEventListener("error", event => errors++ < 5 && record("error", { msg: (event.message + "").slice(0, 200) }));
    // The tab is hidden, switched or closed, or the page is left (the spec and Chromium fire it on
    // unload too, before pagehide): the last chance to send, so a page left within the 1 s batching
    // delay keeps its page view. It bubbles from the document; flushing early when a tab comes back
    // costs nothing. A tap that leaves the page (wa.me) or hides it (the dialer) is sent here too.
    addEventListener("visibilitychange", flush);
    // "Kabul" goes at once, as the page view does: a link tapped right after it leaves the page (issue 22).
    window.E = { a: attribution, p: () => (persist(), flush(record("consent"))), t: record };
    // The page view goes at once, not after the batching delay: a page closed within a second on a
    // busy phone may never run its hide handler (the browser kills a renderer slow to unload).
    flush(record("pageview"));
  } catch {}
})(document);
