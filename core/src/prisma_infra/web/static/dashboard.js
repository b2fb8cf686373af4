// The live dashboard: one JSON document per refresh, pushed over server-sent events
// (api/events), drawn with plotly.js served by the app itself. No framework; every
// value from the server is inserted as text, never as HTML.
"use strict";

(function () {
  const CONFIG = { displayModeBar: false, responsive: true };
  const BASE_LAYOUT = {
    margin: { l: 44, r: 12, t: 8, b: 30 },
    height: 220,
    showlegend: true,
    legend: { orientation: "h", y: -0.25 },
    xaxis: { type: "date" },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
  };
  let updates = 0;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function replace(id, ...children) {
    const node = document.getElementById(id);
    if (node) node.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
  }

  function text(id, value) {
    const node = document.getElementById(id);
    if (node && node.textContent !== String(value)) node.textContent = String(value);
  }

  function fmt(value, digits) {
    if (value === null || value === undefined) return "–";
    if (typeof value !== "number") return String(value);
    return value.toLocaleString(undefined, { maximumFractionDigits: digits === undefined ? 2 : digits });
  }

  function when(t) {
    if (t === null || t === undefined) return "";
    const date = typeof t === "number" ? new Date(t * 1000) : new Date(t);
    return isNaN(date.getTime()) ? String(t) : date.toLocaleTimeString();
  }

  function plot(id, traces, layout) {
    const node = document.getElementById(id);
    if (!node || typeof Plotly === "undefined") return;
    Plotly.react(node, traces, Object.assign({}, BASE_LAYOUT, layout || {}), CONFIG);
  }

  function table(rows, columns) {
    if (!rows || rows.length === 0) return el("div", { class: "empty", text: "Nothing yet." });
    const cols = columns || Object.keys(rows[0]).map((k) => [k, k]);
    const head = el("tr", {}, ...cols.map(([, label]) => el("th", { text: label })));
    const body = rows.map((row) =>
      el("tr", {}, ...cols.map(([key]) => {
        const value = typeof key === "function" ? key(row) : row[key];
        if (value instanceof Node) return el("td", {}, value);
        const cell = el("td", { text: typeof value === "object" && value !== null ? JSON.stringify(value) : fmt(value) });
        if (typeof value === "number") cell.className = "num";
        return cell;
      }))
    );
    return el("table", {}, el("thead", {}, head), el("tbody", {}, ...body));
  }

  function times(series) {
    return series.t.map((t) => new Date(t * 1000));
  }

  function renderHeader(doc) {
    const health = doc.health;
    const pill = document.getElementById("health");
    if (pill) {
      if (!health) {
        pill.className = "pill pill-unknown";
        pill.textContent = doc.started ? "readiness: …" : "not started";
      } else {
        pill.className = "pill " + (health.ready ? "pill-ok" : "pill-bad");
        const failing = Object.entries(health.checks || {})
          .filter(([, c]) => c.status !== "ok").map(([name]) => name);
        pill.textContent = health.ready ? "ready" : "not ready: " + failing.join(", ");
      }
    }
    text("uptime", "up " + fmt(doc.uptime_s, 0) + " s · " + new Date(doc.now * 1000).toLocaleTimeString());
  }

  function renderCards(doc) {
    const totals = doc.totals;
    text("ops-total", fmt(totals.operations, 0));
    text("ops-rate", fmt(totals.ops_per_s, 1));
    text("errors-total", fmt(totals.errors, 0));
    text("error-rate", fmt(totals.error_rate * 100, 2) + " %");
    text("p95", totals.p95_ms === null ? "–" : fmt(totals.p95_ms, 2) + " ms");
    const ratio = totals.cache.hit_ratio;
    text("cache-ratio", ratio === null ? "–" : fmt(ratio * 100, 1) + " %");
  }

  // The ring holds monitoring.history_seconds; draw from a little before the first busy
  // second (at least the last two minutes) so that a young process does not show a flat line.
  function trimmed(series) {
    const first = series.ops.findIndex((v) => v > 0);
    const start = first < 0 ? Math.max(0, series.t.length - 120) : Math.max(0, Math.min(first - 30, series.t.length - 120));
    const out = {};
    for (const [key, values] of Object.entries(series)) out[key] = values.slice(start);
    return out;
  }

  function renderCharts(doc) {
    const s = trimmed(doc.series);
    const x = times(s);
    plot("chart-ops", [{ x, y: s.ops, type: "scatter", mode: "lines", fill: "tozeroy", name: "ops/s", line: { color: "#3b6fd8" } }],
      { showlegend: false, yaxis: { rangemode: "tozero" } });
    plot("chart-latency", [
      { x, y: s.p50, type: "scatter", mode: "lines+markers", marker: { size: 4 }, name: "p50", connectgaps: false, line: { color: "#1f9d55" } },
      { x, y: s.p95, type: "scatter", mode: "lines+markers", marker: { size: 4 }, name: "p95", connectgaps: false, line: { color: "#c98a00" } },
      { x, y: s.p99, type: "scatter", mode: "lines+markers", marker: { size: 4 }, name: "p99", connectgaps: false, line: { color: "#cf3b3b" } },
    ], { yaxis: { rangemode: "tozero", title: { text: "ms" } } });
    plot("chart-errors", [{ x, y: s.errors, type: "bar", name: "errors/s", marker: { color: "#cf3b3b" } }],
      { showlegend: false, yaxis: { rangemode: "tozero" } });
    const chips = Object.entries(doc.totals.error_classes || {}).map(([name, count]) =>
      el("span", { class: "chip bad", text: name + " × " + count }));
    replace("error-classes", ...chips);

    const cache = doc.totals.cache;
    const lookups = cache.hit + cache.miss + cache.stale;
    const empty = document.getElementById("cache-empty");
    if (empty) empty.hidden = lookups > 0;
    plot("chart-cache", [
      { x, y: s.hits, type: "bar", name: "hits", marker: { color: "#1f9d55" } },
      { x, y: s.misses, type: "bar", name: "misses", marker: { color: "#c98a00" } },
      { x, y: s.hit_ratio.map((v) => (v === null ? null : v * 100)), type: "scatter", mode: "lines", name: "hit %", yaxis: "y2", line: { color: "#3b6fd8" } },
    ], { barmode: "stack", margin: { l: 44, r: 40, t: 8, b: 30 }, yaxis: { rangemode: "tozero" },
      yaxis2: { overlaying: "y", side: "right", range: [0, 100], showgrid: false, ticksuffix: "%" } });
    const stores = Object.entries((doc.cache && doc.cache.stores) || {}).map(([name, info]) =>
      el("span", { class: "chip " + (info.state === "open" ? "bad" : "ok"), text: name + ": " + (info.state === "open" ? "bypassed" : "up") }));
    replace("cache-stores", ...stores);

    const models = doc.models || [];
    const names = models.map((m) => (m.model === null ? "(raw)" : m.model));
    const actions = [...new Set(models.flatMap((m) => Object.keys(m.actions)))].sort();
    plot("chart-models", actions.map((action) => ({
      type: "bar", orientation: "h", name: action, y: names, x: models.map((m) => m.actions[action] || 0),
    })), { barmode: "stack", xaxis: { type: "linear", rangemode: "tozero" }, yaxis: { automargin: true }, margin: { l: 80, r: 12, t: 8, b: 30 } });
  }

  function renderAlerts(doc) {
    if (doc.alerts === null || doc.alerts === undefined) {
      replace("alerts", el("div", { class: "empty", text: "No alert rules yet: active alerts appear here once the analytics engine evaluates them." }));
      return;
    }
    if (doc.alerts.length === 0) {
      replace("alerts", el("div", { class: "empty", text: "No active alerts." }));
      return;
    }
    replace("alerts", ...doc.alerts.map((a) => el("div", { class: "alert " + (a.severity || "") },
      el("strong", { text: a.name + " " }), el("span", { class: "chip", text: a.severity || "alert" }), " ",
      el("span", { text: a.message || "" }), a.since ? el("span", { class: "muted", text: " since " + when(a.since) }) : null)));
  }

  function renderKpis(doc) {
    if (doc.kpis === null || doc.kpis === undefined) {
      replace("kpis", el("div", { class: "empty", text: "No KPIs yet: charts appear here once KPIs are configured and the analytics engine evaluates them." }));
      return;
    }
    if (doc.kpis.length === 0) {
      replace("kpis", el("div", { class: "empty", text: "No KPIs configured." }));
      return;
    }
    const container = document.getElementById("kpis");
    const wanted = doc.kpis.map((k, i) => "kpi-" + i);
    if (container.children.length !== wanted.length || [...container.children].some((c, i) => c.dataset.kpi !== wanted[i])) {
      container.replaceChildren(...doc.kpis.map((k, i) => el("div", { class: "panel", "data-kpi": wanted[i] },
        el("h2", { id: wanted[i] + "-title" }), el("div", { class: "chart", id: wanted[i] + "-chart" }))));
    }
    doc.kpis.forEach((kpi, i) => {
      const points = kpi.points || [];
      const value = kpi.value !== undefined ? kpi.value : (points.length ? points[points.length - 1][1] : null);
      text(wanted[i] + "-title", kpi.name + " — " + fmt(value) + (kpi.unit ? " " + kpi.unit : "") + (kpi.status ? " (" + kpi.status + ")" : ""));
      const x = points.map((p) => (typeof p[0] === "number" ? new Date(p[0] * 1000) : p[0]));
      const traces = [{ x, y: points.map((p) => p[1]), type: "scatter", mode: "lines+markers", name: kpi.name }];
      for (const [level, color] of [["warning", "#c98a00"], ["critical", "#cf3b3b"]]) {
        const threshold = kpi.thresholds && kpi.thresholds[level];
        if (threshold !== undefined && threshold !== null && x.length) {
          traces.push({ x: [x[0], x[x.length - 1]], y: [threshold, threshold], type: "scatter", mode: "lines", name: level, line: { dash: "dot", color } });
        }
      }
      plot(wanted[i] + "-chart", traces, {});
    });
  }

  function renderFindings(doc) {
    const findings = doc.findings || [];
    if (findings.length === 0) {
      replace("findings", el("div", { class: "empty", text: "No N+1 pattern or slow query found." }));
      return;
    }
    replace("findings", ...findings.map((f) => el("div", { class: "finding" },
      el("div", {}, el("strong", { text: f.kind === "n_plus_one" ? "N+1" : "slow" }), " ", el("span", { text: f.message }),
        el("span", { class: "chip", text: "× " + f.count })),
      f.suggestion ? el("div", { class: "suggestion", text: "→ " + f.suggestion }) : null)));
  }

  function renderErrors(doc) {
    replace("recent-errors", table((doc.recent_errors || []).slice(0, 50), [
      [(e) => when(e.time), "time"], ["model", "model"], ["action", "action"], ["error_class", "error"],
      ["message", "message"], ["duration_ms", "ms"],
      [(e) => el("details", {}, el("summary", { text: "stack trace & args" }),
        el("pre", { text: JSON.stringify(e.args, null, 1) }), el("pre", { text: e.traceback })), ""],
    ]));
  }

  function renderSlow(doc) {
    replace("slow-operations", table((doc.slow_operations || []).slice(0, 50), [
      [(e) => when(e.time), "time"], ["model", "model"], ["action", "action"], ["duration_ms", "ms"],
      [(e) => el("code", { text: JSON.stringify(e.args) }), "args (masked)"], ["suggestion", "suggestion"],
    ]));
  }

  function renderModels(doc) {
    replace("models-table", table(doc.models || [], [
      [(m) => (m.model === null ? "(raw)" : m.model), "model"], ["operations", "operations"], ["errors", "errors"],
      ["rows", "rows"], ["avg_ms", "avg ms"], ["max_ms", "max ms"],
      [(m) => m.cache.hit + m.cache.stale, "cache hits"], [(m) => m.cache.miss, "cache misses"],
    ]));
  }

  function renderPanelData(data, id) {
    if (Array.isArray(data) && data.length && typeof data[0] === "object") return table(data);
    if (data && typeof data === "object" && data.plotly) {
      const node = el("div", { class: "chart", id });
      setTimeout(() => plot(id, data.plotly.data || [], data.plotly.layout || {}), 0);
      return node;
    }
    if (data && typeof data === "object") return table(Object.entries(data).map(([k, v]) => ({ key: k, value: v })));
    return el("div", { text: data === null || data === undefined ? "" : String(data) });
  }

  function renderPanels(doc) {
    const panels = doc.panels || [];
    replace("plugin-panels", ...panels.map((p) => el("div", { class: "panel wide", "data-panel": p.name },
      el("h2", { text: p.title + " (" + p.plugin + ")" }),
      p.description ? el("div", { class: "muted", text: p.description }) : null,
      p.error ? el("div", { class: "empty", text: "unavailable: " + p.error }) : renderPanelData(p.data, "panel-" + p.name))));
  }

  function render(doc) {
    renderHeader(doc);
    renderCards(doc);
    renderCharts(doc);
    renderAlerts(doc);
    renderKpis(doc);
    renderFindings(doc);
    renderErrors(doc);
    renderSlow(doc);
    renderModels(doc);
    renderPanels(doc);
    updates += 1;
    document.body.dataset.updates = String(updates);
  }

  function setLive(ok, label) {
    const pill = document.getElementById("live");
    if (!pill) return;
    pill.className = "pill " + (ok ? "pill-ok" : "pill-warn");
    pill.textContent = label;
  }

  // Snapshots can arrive faster than a slow machine draws them: keep only the newest and
  // draw it on the next animation frame, so the page never falls behind the stream.
  let latest = null;
  let scheduled = false;
  function schedule(doc) {
    latest = doc;
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      const doc = latest;
      latest = null;
      if (doc) render(doc);
    });
  }

  function connect() {
    const source = new EventSource("api/events");
    source.addEventListener("snapshot", (event) => {
      setLive(true, "live");
      schedule(JSON.parse(event.data));
    });
    source.addEventListener("open", () => setLive(true, "live"));
    source.addEventListener("error", () => setLive(false, "reconnecting…"));
  }

  fetch("api/snapshot", { cache: "no-store" })
    .then((response) => response.json())
    .then(render)
    .catch(() => setLive(false, "snapshot unavailable"))
    .finally(connect);
})();
