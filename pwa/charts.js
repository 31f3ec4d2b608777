/* Inline SVG charts for the stats page: no library, no inline styles (CSP), Turkish number format. */
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const fmt = new Intl.NumberFormat("tr-TR");

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(width, height, label) {
    return el("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label });
  }

  /* Daily series as lines; each series scaled to the shared maximum so small counts stay visible. */
  function daily(rows, series, label) {
    const W = 360, H = 180, L = 30, B = 22, T = 8;
    const root = svg(W, H, label);
    const max = Math.max(1, ...rows.flatMap((r) => series.map((s) => r[s.key])));
    const x = (i) => L + (rows.length <= 1 ? 0 : (i * (W - L - 6)) / (rows.length - 1));
    const y = (v) => T + (H - T - B) * (1 - v / max);
    for (const frac of [0, 0.5, 1]) {
      const v = Math.round(max * frac);
      root.append(el("line", { x1: L, x2: W, y1: y(v), y2: y(v), stroke: "#dde5e5" }));
      root.append(el("text", { x: 2, y: y(v) + 4 }, fmt.format(v)));
    }
    const step = Math.max(1, Math.ceil(rows.length / 6));
    rows.forEach((r, i) => {
      if (i % step === 0) root.append(el("text", { x: x(i) - 12, y: H - 6 }, r.day.slice(5).split("-").reverse().join(".")));
    });
    for (const s of series) {
      const points = rows.map((r, i) => `${x(i).toFixed(1)},${y(r[s.key]).toFixed(1)}`).join(" ");
      root.append(el("polyline", { points, fill: "none", stroke: s.color, "stroke-width": 2.5, "data-series": s.key }));
      rows.forEach((r, i) => {
        if (r[s.key] > 0) root.append(el("circle", { cx: x(i), cy: y(r[s.key]), r: 2.5, fill: s.color }));
      });
    }
    return root;
  }

  /* Horizontal bars: one row per value (source, city…), the count at the end of the bar. */
  function bars(rows, key, label, color) {
    const top = rows.filter((r) => r[key] > 0).slice(0, 8);
    const W = 360, ROW = 26, H = Math.max(ROW, top.length * ROW) + 4, L = 96;
    const root = svg(W, H, label);
    const max = Math.max(1, ...top.map((r) => r[key]));
    top.forEach((r, i) => {
      const y = i * ROW + 4;
      const w = ((W - L - 44) * r[key]) / max;
      root.append(el("text", { x: 0, y: y + 14 }, (r.value || "(yok)").slice(0, 14)));
      root.append(el("rect", { x: L, y, width: Math.max(2, w), height: ROW - 8, rx: 4, fill: color }));
      root.append(el("text", { x: L + w + 4, y: y + 14 }, fmt.format(r[key])));
    });
    if (!top.length) root.append(el("text", { x: 0, y: 18 }, "Veri yok"));
    return root;
  }

  /* Funnel: visit → CTA → lead → sale, bar width by count, share of the previous step written beside it. */
  function funnel(steps) {
    const W = 360, ROW = 34, H = steps.length * ROW + 4, BAR = 150;
    const root = svg(W, H, "Dönüşüm hunisi");
    const max = Math.max(1, steps[0].count);
    steps.forEach((s, i) => {
      const w = Math.max(2, (BAR * s.count) / max);
      const y = i * ROW + 2;
      root.append(el("rect", { x: (BAR - w) / 2, y, width: w, height: ROW - 8, rx: 5, fill: ["#74c0fc", "#4dabf7", "#f08c00", "#2b8a3e"][i] }));
      const pct = i === 0 ? "" : ` (%${fmt.format(Math.round(s.rate * 1000) / 10)})`;
      root.append(el("text", { x: BAR + 8, y: y + 17 }, `${s.label_tr}: ${fmt.format(s.count)}${pct}`));
    });
    return root;
  }

  return { daily, bars, funnel };
})();
