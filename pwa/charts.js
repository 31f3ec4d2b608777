/* Inline SVG charts for the stats page, drawn for a 390 px phone: no library (a few KB instead of
   uPlot's 50, nothing to vendor, the service worker caches it with the shell), no inline styles
   (CSP), Turkish number format. Every label is written in full: a name too long for one line takes
   a second one instead of being cut. */
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const fmt = new Intl.NumberFormat("tr-TR");
  const W = 360;
  const CHARS_PER_LINE = 52; // 11 px system font in a 360-unit wide chart

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(height, label) {
    return el("svg", { viewBox: `0 0 ${W} ${height}`, class: "chart", role: "img", "aria-label": label });
  }

  /* Words to lines of at most `width` characters; a single longer word is split, never dropped. */
  function wrap(text, width = CHARS_PER_LINE) {
    const lines = [];
    let line = "";
    for (const word of text.split(/\s+/)) {
      for (let rest = word; rest; rest = rest.slice(width)) {
        const part = rest.slice(0, width);
        if (line && line.length + 1 + part.length > width) { lines.push(line); line = part; }
        else line = line ? `${line} ${part}` : part;
      }
    }
    if (line) lines.push(line);
    return lines.length ? lines : [""];
  }

  /* A round axis maximum (1, 2, 5 × 10ⁿ) so the grid lines carry whole, readable numbers. */
  function niceMax(value) {
    if (value <= 4) return Math.max(1, Math.ceil(value));
    const power = 10 ** Math.floor(Math.log10(value));
    return [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= value);
  }

  /* One small chart per series, each with its own axis: 500 visits no longer flatten 3 sales.
     Visits are a line, counts as small as leads and sales are bars. */
  function dailySeries(rows, s) {
    const H = 112, L = 34, R = 6, T = 22, B = 18;
    const root = svg(H, `${s.label}: günlük`);
    root.dataset.series = s.key;
    const values = rows.map((r) => r[s.key] || 0);
    const total = values.reduce((a, b) => a + b, 0);
    const show = s.format || ((v) => fmt.format(v));
    root.append(el("text", { x: 0, y: 13, class: "title" }, `${s.label} · toplam ${show(total)}`));
    const max = niceMax(Math.max(...values, 0));
    const plotW = W - L - R, plotH = H - T - B;
    const slot = plotW / Math.max(1, rows.length);
    const x = (i) => L + slot * (i + 0.5);
    const y = (v) => T + plotH * (1 - v / max);
    for (const v of [0, max / 2, max]) {
      if (!Number.isInteger(v)) continue;
      root.append(el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }));
      root.append(el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" }, fmt.format(v)));
    }
    const step = Math.max(1, Math.ceil(rows.length / 6));
    rows.forEach((r, i) => {
      if (i % step === 0) {
        const label = r.day.slice(5).split("-").reverse().join(".");
        root.append(el("text", { x: x(i), y: H - 4, "text-anchor": "middle" }, label));
      }
    });
    if (s.kind === "line") {
      const points = rows.map((r, i) => `${x(i).toFixed(1)},${y(values[i]).toFixed(1)}`).join(" ");
      root.append(el("polyline", { points, fill: "none", stroke: s.color, "stroke-width": 2.5 }));
    } else {
      const width = Math.max(2, Math.min(18, slot * 0.7));
      values.forEach((v, i) => {
        if (v > 0) root.append(el("rect", { x: x(i) - width / 2, y: y(v), width, height: y(0) - y(v), rx: 2, fill: s.color }));
      });
    }
    return root;
  }

  function daily(rows, series) {
    const box = document.createElement("div");
    box.className = "multiples";
    for (const s of series) box.append(dailySeries(rows, s));
    return box;
  }

  /* Horizontal bars, biggest first; the full name above its bar, the count at the bar's end. */
  function bars(rows, key, label, color, empty = "(bilinmiyor)") {
    const top = rows.filter((r) => r[key] > 0).sort((a, b) => b[key] - a[key]).slice(0, 8);
    if (!top.length) {
      const empty = svg(24, label);
      empty.append(el("text", { x: 0, y: 16 }, "Veri yok"));
      return empty;
    }
    const LINE = 14, BAR = 14, GAP = 8;
    const laid = top.map((r) => ({ row: r, lines: wrap(r.value || empty) }));
    const H = laid.reduce((h, item) => h + item.lines.length * LINE + BAR + GAP, 4);
    const root = svg(H, label);
    const max = Math.max(...top.map((r) => r[key]));
    const room = W - 56;
    let y = 2;
    for (const { row, lines } of laid) {
      lines.forEach((line, n) => root.append(el("text", { x: 0, y: y + 11 + n * LINE, class: "label" }, line)));
      y += lines.length * LINE;
      const w = Math.max(3, (room * row[key]) / max);
      root.append(el("rect", { x: 0, y: y + 1, width: w, height: BAR - 2, rx: 3, fill: color }));
      root.append(el("text", { x: w + 6, y: y + 11, class: "value" }, fmt.format(row[key])));
      y += BAR + GAP;
    }
    return root;
  }

  /* Funnel: visit → CTA → lead → sale. The step and its count on one line, the share of the
     previous step at the right edge, the bar under them over the full width: nothing is cut. */
  function funnel(steps) {
    const ROW = 40;
    const H = steps.length * ROW + 2;
    const root = svg(H, "Dönüşüm hunisi");
    const max = Math.max(1, ...steps.map((s) => s.count)); // a later step can outnumber visits (leads by phone)
    const colors = ["#74c0fc", "#4dabf7", "#f08c00", "#2b8a3e"];
    steps.forEach((s, i) => {
      const y = i * ROW;
      root.append(el("text", { x: 0, y: y + 13, class: "label" }, `${s.label_tr}: ${fmt.format(s.count)}`));
      if (i > 0) {
        const pct = `önceki adıma göre %${fmt.format(Math.round(s.rate * 1000) / 10)}`;
        root.append(el("text", { x: W, y: y + 13, "text-anchor": "end" }, pct));
      }
      const w = Math.max(3, (W * s.count) / max);
      root.append(el("rect", { x: 0, y: y + 18, width: w, height: 14, rx: 4, fill: colors[i % colors.length] }));
    });
    return root;
  }

  return { daily, bars, funnel, wrap };
})();
