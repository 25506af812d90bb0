/**
 * The dashboard's script (served as `/_portico/dashboard.js`): plain DOM and hand-made SVG charts, no framework and
 * no third-party request. It reads the admin API with the session cookie (and `x-portico-dashboard: 1`, which the
 * API requires of cookie-authenticated requests) and refreshes every few seconds. Kept as a string so the Worker
 * serves it from its own bundle; written without template literals so it can live inside one.
 */
export const DASHBOARD_JS = String.raw`"use strict";
(function () {
  var REFRESH_MS = 3000;
  // published: the APIs with deployments and the chosen API's published stages, so nothing is asked that can only 404;
  // flavors: each version's API flavor (a version's bundle never changes).
  var state = { api: null, stage: null, minutes: 15, timer: null, busy: false, server: null, published: [], publishedStages: [], flavors: {} };
  var $ = function (id) { return document.getElementById(id); };
  var SVG = "http://www.w3.org/2000/svg";

  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: { "x-portico-dashboard": "1" } };
    if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch("/_portico" + path, init).then(function (res) {
      return res.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : {}; } catch (e) { json = null; }
        if (res.status === 401) { showSignin(""); throw new Error("signed out"); }
        if (!res.ok) { var err = new Error((json && json.message) || ("HTTP " + res.status)); err.status = res.status; throw err; }
        return json;
      });
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) { if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]); }
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    return node;
  }
  function short(id) { return id ? String(id).slice(0, 12) : "-"; }
  function when(ms) { return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + "Z"; }

  function showSignin(message) {
    stop();
    $("app").hidden = true; $("pick").hidden = true; $("signin").hidden = false;
    $("signin-error").textContent = message || "";
  }
  function showApp() { $("signin").hidden = true; $("app").hidden = false; $("pick").hidden = false; }

  $("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var token = $("token").value;
    fetch("/_portico/session", { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: token }) })
      .then(function (res) {
        $("token").value = "";
        if (!res.ok) { $("signin-error").textContent = res.status === 401 ? "That token is not the admin token." : "Sign-in failed (HTTP " + res.status + ")."; return; }
        start();
      })
      .catch(function () { $("signin-error").textContent = "The Worker could not be reached."; });
  });
  $("signout").addEventListener("click", function () {
    fetch("/_portico/session", { method: "DELETE", credentials: "same-origin", headers: { "x-portico-dashboard": "1" } }).finally(function () { showSignin("Signed out."); });
  });
  $("api").addEventListener("change", function () { state.api = $("api").value; loadStages().then(refresh); });
  $("stage").addEventListener("change", function () { state.stage = $("stage").value; refresh(); });
  $("minutes").addEventListener("change", function () { state.minutes = Number($("minutes").value); refresh(); });

  function fill(select, values, chosen) {
    select.textContent = "";
    values.forEach(function (v) { select.appendChild(el("option", { value: v, text: v })); });
    if (chosen && values.indexOf(chosen) >= 0) select.value = chosen;
    return select.value || null;
  }

  function start() {
    api("GET", "/apis").then(function (body) {
      var names = (body.apis || []).map(function (a) { return a.name || a; });
      state.published = names.slice();
      return api("GET", "/server").then(function (s) {
        // The APIs the Worker serves unpublished too: the default one and those embedded beside it (the example chat).
        [s.defaultApi].concat((s.others || []).map(function (o) { return o.api; })).forEach(function (n) { if (names.indexOf(n) < 0) names.push(n); });
        return names;
      }, function () { return names; });
    }).then(function (names) {
      showApp();
      state.api = fill($("api"), names, state.api);
      return loadStages();
    }).then(function () {
      refresh();
      stop();
      state.timer = setInterval(refresh, REFRESH_MS);
    }).catch(function (e) { if (e.message !== "signed out") showSignin(e.message); });
  }
  function stop() { if (state.timer) clearInterval(state.timer); state.timer = null; }

  /** What the Worker serves unpublished for the chosen API (the embedded bundle or one beside it), or null. */
  function embeddedFacts() {
    var facts = state.server;
    if (!facts) return null;
    return [facts.embedded].concat(facts.others || []).filter(function (e) { return e && e.api === state.api; })[0] || null;
  }

  // Stages with published versions, and those the Worker serves unpublished (the embedded bundles, portico dev's file).
  function loadStages() {
    var published = state.published.indexOf(state.api) >= 0;
    return Promise.all([
      published ? api("GET", "/apis/" + state.api + "/stages").catch(function () { return { stages: [] }; }) : { stages: [] },
      api("GET", "/server").catch(function () { return null; }),
    ]).then(function (r) {
      state.server = r[1];
      var names = r[0].stages.map(function (s) { return s.stage; });
      state.publishedStages = names.slice();
      var facts = embeddedFacts();
      var embedded = facts ? facts.stages : [];
      embedded.forEach(function (s) { if (names.indexOf(s) < 0) names.push(s); });
      state.stage = fill($("stage"), names, state.stage);
    }).catch(function (e) { $("error").textContent = e.message; });
  }

  /** The stage's pointers; for a stage nothing was published to, the embedded version's (with its flavor). */
  function stageInfo(base) {
    var facts = embeddedFacts();
    var embedded = facts && facts.stages.indexOf(state.stage) >= 0 ? { stage: state.stage, deploymentId: facts.version, canary: null, unpublished: true, flavor: facts.flavor } : null;
    if (embedded && state.publishedStages.indexOf(state.stage) < 0) return Promise.resolve(embedded);
    return api("GET", base).catch(function (e) { if (embedded) return embedded; throw e; });
  }

  /** The flavor of the stage's stable version: the embedded facts say it, else its bundle (asked once per version). */
  function flavorOf(stage) {
    if (stage.flavor) return Promise.resolve(stage.flavor);
    var id = stage.deploymentId;
    if (state.flavors[id]) return Promise.resolve(state.flavors[id]);
    return api("GET", "/apis/" + state.api + "/deployments/" + id).then(function (d) { return (state.flavors[id] = (d.bundle && d.bundle.api && d.bundle.api.flavor) || "rest"); });
  }

  function refresh() {
    if (!state.api || !state.stage || state.busy) return;
    state.busy = true;
    var base = "/apis/" + state.api + "/stages/" + state.stage;
    // An API served only unpublished (an embedded bundle) has no deployments, history or shadow report to ask for.
    var published = state.published.indexOf(state.api) >= 0;
    var none = function (value) { return Promise.resolve(value); };
    stageInfo(base).then(function (stage) {
      return Promise.all([
        stage,
        api("GET", base + "/metrics/series?minutes=" + state.minutes),
        published ? api("GET", "/apis/" + state.api + "/deployments?limit=20").catch(function () { return { deployments: [] }; }) : none({ deployments: [] }),
        published ? api("GET", "/apis/" + state.api + "/history?stage=" + state.stage + "&limit=20").catch(function () { return { history: [] }; }) : none({ history: [] }),
        published && !stage.unpublished ? api("GET", base + "/shadow").catch(function () { return null; }) : none(null),
        connections(base, stage),
      ]);
    }).then(function (r) {
      $("error").textContent = "";
      renderSplit(r[0]);
      renderVersions(r[0], r[2].deployments || []);
      renderCharts(r[1]);
      renderHistory(r[3].history || []);
      renderShadow(r[4]);
      renderConnections(r[5], r[0]);
      $("source").textContent = "metrics: " + (r[1].source === "analytics-engine" ? "Analytics Engine" : "local store");
    }).catch(function (e) { if (e.message !== "signed out") $("error").textContent = e.message; })
      .finally(function () { state.busy = false; });
  }

  function renderSplit(stage) {
    var canary = stage.canary;
    var pct = canary ? canary.percent : 0;
    var bar = $("split");
    bar.textContent = "";
    var stable = el("div", { "class": "stable", "data-testid": "split-stable", text: "stable " + (100 - pct) + "%" });
    stable.style.width = (100 - pct) + "%";
    bar.appendChild(stable);
    if (canary) {
      var c = el("div", { "class": "canary", "data-testid": "split-canary", text: "canary " + pct + "%" });
      c.style.width = pct + "%";
      bar.appendChild(c);
    }
    bar.setAttribute("data-canary-percent", String(pct));
    $("split-text").textContent = canary
      ? "stable " + short(stage.deploymentId) + " · canary " + short(canary.deploymentId) + " at " + pct + "% (sticky " + canary.sticky.kind + (canary.sticky.name ? ":" + canary.sticky.name : "") + ")"
      : "stable " + short(stage.deploymentId) + " · no canary";
    $("auto-text").textContent = canary && canary.auto ? "automated: +" + canary.auto.step + "% every " + canary.auto.intervalSeconds + " s while 5xx ≤ +" + canary.auto.maxErrorRateIncrease + " points and p95 ≤ " + canary.auto.maxP95Ratio + "× stable" : "";
  }

  function renderVersions(stage, deployments) {
    var body = $("versions").querySelector("tbody");
    body.textContent = "";
    if (stage.unpublished) deployments = [{ id: stage.deploymentId, createdAt: Date.now(), description: "served unpublished (the embedded bundle, or portico dev's file)" }];
    deployments.forEach(function (d) {
      var role = d.id === stage.deploymentId ? "stable" : stage.canary && d.id === stage.canary.deploymentId ? "canary" : stage.shadow && d.id === stage.shadow.deploymentId ? "shadow" : "";
      body.appendChild(el("tr", {}, [el("td", { "class": "id", text: short(d.id) }), el("td", { text: role }), el("td", { text: when(d.createdAt) }), el("td", { text: d.description || "" })]));
    });
  }

  var CHARTS = [
    { title: "Requests", unit: "", lines: [function (p) { return p.count; }] },
    { title: "4xx", unit: "", lines: [function (p) { return p.c4xx; }] },
    { title: "5xx", unit: "", lines: [function (p) { return p.c5xx; }] },
    { title: "Latency p50 / p99", unit: " ms", lines: [function (p) { return p.p50; }, function (p) { return p.p99; }] },
    { title: "Integration latency p50 / p99", unit: " ms", lines: [function (p) { return p.integrationP50; }, function (p) { return p.integrationP99; }] },
    { title: "Cache hit ratio", unit: "%", lines: [function (p) { var n = p.cacheHits + p.cacheMisses; return n ? Math.round(100 * p.cacheHits / n) : null; }] },
    { title: "Throttled", unit: "", lines: [function (p) { return p.throttled; }] },
    { title: "Refused", unit: "", lines: [function (p) { return p.refused; }] },
  ];

  function renderCharts(series) {
    var root = $("charts");
    root.textContent = "";
    var t0 = Date.now() - series.minutes * 60000;
    var t1 = Date.now();
    CHARTS.forEach(function (chart) {
      var panel = el("div", { "class": "panel", "data-chart": chart.title });
      panel.appendChild(el("h2", { text: chart.title }));
      var legend = el("div", { "class": "legend" });
      series.versions.forEach(function (v) { legend.appendChild(el("span", { "class": v.role, text: v.role + " " + short(v.version) })); });
      panel.appendChild(legend);
      panel.appendChild(plot(series.versions, chart, t0, t1));
      root.appendChild(panel);
    });
  }

  function plot(versions, chart, t0, t1) {
    var W = 320, H = 150, L = 36, B = 18, T = 8;
    var node = svg("svg", { "class": "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": chart.title });
    var max = 0, points = 0;
    versions.forEach(function (v) { v.points.forEach(function (p) { chart.lines.forEach(function (f) { var y = f(p); if (y !== null && y > max) max = y; }); }); });
    max = max > 0 ? max : 1;
    node.appendChild(svg("line", { "class": "axis", x1: L, y1: H - B, x2: W, y2: H - B }));
    node.appendChild(svg("line", { "class": "axis", x1: L, y1: T, x2: L, y2: H - B }));
    var label = svg("text", { x: 2, y: T + 8 });
    label.textContent = (Math.round(max * 100) / 100) + chart.unit;
    node.appendChild(label);
    var x = function (t) { return L + (W - L) * Math.max(0, Math.min(1, (t - t0) / Math.max(1, t1 - t0))); };
    var y = function (v) { return H - B - (H - B - T) * (v / max); };
    versions.forEach(function (v) {
      chart.lines.forEach(function (f, i) {
        var d = "";
        v.points.forEach(function (p) {
          var val = f(p);
          if (val === null || val === undefined) return;
          d += (d ? " L" : "M") + x(p.t).toFixed(1) + " " + y(val).toFixed(1);
          points++;
        });
        if (!d) return;
        var path = svg("path", { d: d, "class": v.role + (i === 1 ? " p99" : "") });
        node.appendChild(path);
        v.points.forEach(function (p) {
          var val = f(p);
          if (val === null || val === undefined) return;
          node.appendChild(svg("circle", { cx: x(p.t).toFixed(1), cy: y(val).toFixed(1), r: 2, "class": v.role }));
        });
      });
    });
    node.setAttribute("data-points", String(points));
    return node;
  }

  function renderHistory(history) {
    var body = $("history").querySelector("tbody");
    body.textContent = "";
    history.forEach(function (h) {
      body.appendChild(el("tr", {}, [el("td", { text: when(h.at) }), el("td", { text: h.action }), el("td", { "class": "id", text: short(h.deploymentId) }), el("td", { text: h.description || "" })]));
    });
  }

  function renderShadow(report) {
    var root = $("shadow");
    root.textContent = "";
    if (!report || !report.deploymentId) { root.appendChild(el("p", { "class": "muted", text: "No shadow evaluation on this stage. Start one with portico shadow start." })); return; }
    var head = (report.shadow ? "Evaluating " : "Stopped: ") + short(report.deploymentId) + (report.shadow ? " on " + report.shadow.percent + "% of requests" : "");
    root.appendChild(el("p", { text: head }));
    root.appendChild(el("p", { "class": report.clean ? "clean" : report.evaluated ? "dirty" : "muted", "data-testid": "shadow-summary",
      text: report.evaluated ? (report.differing ? report.differing + " of " + report.evaluated + " requests differ" : "clean: " + report.evaluated + " requests, no difference") : "no request evaluated yet" }));
    report.kinds.forEach(function (k) {
      var details = el("details", { "class": "kind" }, [el("summary", { text: k.kind + ": " + k.count })]);
      k.samples.forEach(function (s) {
        s.differences.filter(function (d) { return d.kind === k.kind; }).forEach(function (d) {
          details.appendChild(el("p", { "class": "muted", text: s.method + " " + s.path + " — live: " + d.live + " · candidate: " + d.candidate }));
        });
      });
      root.appendChild(details);
    });
    var skipped = Object.keys(report.skipped || {});
    if (skipped.length) root.appendChild(el("p", { "class": "muted", text: "not evaluated: " + skipped.map(function (r) { return r + " (" + report.skipped[r] + ")"; }).join(", ") }));
  }

  /**
   * Live WebSocket connections of a WebSocket API's stage, from the admin connections API (every hub of the stage
   * asked; limit=0: counts only). Other APIs have none, and are not asked.
   */
  function connections(base, stage) {
    return flavorOf(stage).then(function (flavor) {
      if (flavor !== "websocket") return { notWebSocket: true };
      return api("GET", base + "/connections?limit=0");
    }).catch(function (e) {
      if (e.message === "signed out") throw e;
      return { error: e.message };
    });
  }

  function renderConnections(body, stage) {
    var text = $("ws-text");
    var list = $("ws-versions");
    list.textContent = "";
    text.className = "muted";
    text.removeAttribute("data-connections");
    if (body && body.stats) {
      var n = body.stats.connections;
      text.textContent = n + (n === 1 ? " live connection" : " live connections") + " over " + body.stats.hubs + " hubs";
      text.className = "";
      text.setAttribute("data-connections", String(n));
      Object.keys(body.stats.byVersion || {}).forEach(function (v) {
        var role = v === stage.deploymentId ? "stable" : stage.canary && v === stage.canary.deploymentId ? "canary" : "other";
        list.appendChild(el("li", { "class": role, "data-version": v, text: role + " " + short(v) + ": " + body.stats.byVersion[v] }));
      });
    } else if (body && body.notWebSocket) text.textContent = "Not a WebSocket API: no connections to count.";
    else text.textContent = "Not available: " + ((body && body.error) || "the connections could not be read") + ".";
  }

  // A session cookie from an earlier sign-in may still be valid: try it before asking for the token.
  api("GET", "/apis").then(start).catch(function () { showSignin(""); });
})();
`;
