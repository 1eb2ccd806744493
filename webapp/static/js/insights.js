/* Insights charts (Chart.js 4, vendored) and small htmx helpers. No inline scripts: the CSP allows only 'self'.
 * Charts read their data from data-series on a .chart element; every chart has a table next to it, and series
 * differ by marker shape, dash and hatching as well as by colour. */
(function () {
  "use strict";

  var COLORS = {
    promoter: "#126b3a", passive: "#b08900", detractor: "#a4161a", line: "#1d4ed8", band: "rgba(29, 78, 216, 0.14)",
    grid: "#e5e7eb", text: "#374151"
  };
  var SERIES = ["#1d4ed8", "#a4161a", "#126b3a", "#7c3aed", "#b45309", "#0e7490", "#be185d", "#4b5563"];
  var SHAPES = ["circle", "triangle", "rect", "rectRot", "star", "crossRot", "rectRounded", "cross"];
  var DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [], [6, 4], [2, 3], [10, 3, 2, 3]];

  function hatch(color, kind) {
    /* A small canvas pattern so stacked segments differ without colour: solid, dots or diagonal stripes. */
    var c = document.createElement("canvas");
    c.width = c.height = 8;
    var g = c.getContext("2d");
    g.fillStyle = color;
    g.fillRect(0, 0, 8, 8);
    g.strokeStyle = "rgba(255,255,255,0.75)";
    g.fillStyle = "rgba(255,255,255,0.75)";
    if (kind === "stripes") {
      g.lineWidth = 2;
      g.beginPath(); g.moveTo(0, 8); g.lineTo(8, 0); g.moveTo(-2, 2); g.lineTo(2, -2); g.moveTo(6, 10); g.lineTo(10, 6); g.stroke();
    } else if (kind === "dots") {
      g.beginPath(); g.arc(4, 4, 1.3, 0, 2 * Math.PI); g.fill();
    }
    return g.createPattern(c, "repeat");
  }

  function baseOptions(yTitle, extra) {
    var opts = {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { labels: { usePointStyle: true, color: COLORS.text } } },
      scales: {
        x: { grid: { display: false }, ticks: { color: COLORS.text, maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
        y: { grid: { color: COLORS.grid }, ticks: { color: COLORS.text }, title: { display: !!yTitle, text: yTitle, color: COLORS.text } }
      }
    };
    return Object.assign(opts, extra || {});
  }

  function label(period) {
    var d = new Date(period + "T00:00:00Z");
    return d.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "2-digit", timeZone: "UTC" });
  }

  function npsChart(canvas, series) {
    var labels = series.map(function (p) { return label(p.period); });
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [
          { label: "95% interval (low)", data: series.map(function (p) { return p.low; }), borderColor: "rgba(29,78,216,0.35)",
            borderDash: [4, 4], borderWidth: 1, pointRadius: 0, fill: false, spanGaps: false },
          { label: "95% interval", data: series.map(function (p) { return p.high; }), borderColor: "rgba(29,78,216,0.35)",
            borderDash: [4, 4], borderWidth: 1, pointRadius: 0, backgroundColor: COLORS.band, fill: "-1", spanGaps: false },
          { label: "NPS", data: series.map(function (p) { return p.nps; }), borderColor: COLORS.line, backgroundColor: COLORS.line,
            borderWidth: 2.5, pointRadius: 3, pointStyle: "circle", tension: 0.2, spanGaps: false }
        ]
      },
      options: baseOptions("NPS", {
        plugins: {
          legend: { labels: { usePointStyle: true, color: COLORS.text,
            filter: function (item) { return item.text !== "95% interval (low)"; } } },
          tooltip: { callbacks: {
            afterBody: function (items) {
              var p = series[items[0].dataIndex];
              return p.n ? ["95% interval " + p.low + " to " + p.high, p.answers + " answers"] : ["no answers"];
            },
            label: function (ctx) { return ctx.datasetIndex === 2 ? "NPS " + (ctx.parsed.y > 0 ? "+" : "") + ctx.parsed.y : null; }
          } }
        },
        scales: {
          x: { grid: { display: false }, ticks: { color: COLORS.text, maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
          y: { suggestedMin: -20, suggestedMax: 60, grid: { color: function (ctx) { return ctx.tick.value === 0 ? "#6b7280" : COLORS.grid; } },
               ticks: { color: COLORS.text }, title: { display: true, text: "NPS", color: COLORS.text } }
        }
      })
    });
  }

  function sharesChart(canvas, series) {
    var labels = series.map(function (p) { return label(p.period); });
    return new Chart(canvas, {
      data: {
        labels: labels,
        datasets: [
          { type: "bar", label: "Promoters %", data: series.map(function (p) { return p.n ? p.promoters : null; }),
            backgroundColor: COLORS.promoter, stack: "mix", yAxisID: "y", pointStyle: "rect" },
          { type: "bar", label: "Passives %", data: series.map(function (p) { return p.n ? p.passives : null; }),
            backgroundColor: hatch(COLORS.passive, "dots"), stack: "mix", yAxisID: "y", pointStyle: "rect" },
          { type: "bar", label: "Detractors %", data: series.map(function (p) { return p.n ? p.detractors : null; }),
            backgroundColor: hatch(COLORS.detractor, "stripes"), stack: "mix", yAxisID: "y", pointStyle: "rect" },
          { type: "line", label: "Answers", data: series.map(function (p) { return p.answers; }), borderColor: "#111827",
            backgroundColor: "#111827", borderDash: [5, 3], pointStyle: "triangle", pointRadius: 3, yAxisID: "n", tension: 0.2 }
        ]
      },
      options: baseOptions("", {
        scales: {
          x: { stacked: true, grid: { display: false }, ticks: { color: COLORS.text, maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
          y: { stacked: true, min: 0, max: 100, grid: { color: COLORS.grid }, ticks: { color: COLORS.text, callback: function (v) { return v + "%"; } } },
          n: { position: "right", beginAtZero: true, grid: { display: false }, ticks: { color: COLORS.text },
               title: { display: true, text: "answers", color: COLORS.text } }
        }
      })
    });
  }

  var METRIC_TITLES = { volume: "verbatims", detractor_share: "% detractors", net_sentiment: "net sentiment (% pos − % neg)" };

  function categoryChart(canvas, data, metric) {
    var top = data.categories.slice(0, 8);
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: data.periods.map(label),
        datasets: top.map(function (c, i) {
          return { label: c.name, data: c[metric], borderColor: SERIES[i % SERIES.length], backgroundColor: SERIES[i % SERIES.length],
                   pointStyle: SHAPES[i % SHAPES.length], pointRadius: 4, borderDash: DASHES[i % DASHES.length],
                   borderWidth: 2, tension: 0.2, spanGaps: true };
        })
      },
      options: baseOptions(METRIC_TITLES[metric])
    });
  }

  function parse(el) {
    try { return JSON.parse(el.getAttribute("data-series")); } catch (e) { return null; }
  }

  function init(root) {
    if (typeof Chart === "undefined") { return; }
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    var nodes = (root.querySelectorAll ? root : document).querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(nodes, function (el) {
      if (el._chart) { return; }
      var canvas = el.querySelector("canvas");
      var data = parse(el);
      if (!canvas || !data) { return; }
      var kind = el.getAttribute("data-chart");
      if (kind === "nps") { el._chart = npsChart(canvas, data); }
      else if (kind === "shares") { el._chart = sharesChart(canvas, data); }
      else if (kind === "categories") {
        el._chart = categoryChart(canvas, data, "volume");
        var card = el.closest(".chart-card");
        Array.prototype.forEach.call(card ? card.querySelectorAll("input[name=cat-metric]") : [], function (radio) {
          radio.addEventListener("change", function () {
            el._chart.destroy();
            el._chart = categoryChart(canvas, data, radio.value);
          });
        });
      }
    });
  }

  function dropEmptyFilters(evt) {
    /* Shared URLs stay short: empty filters are not sent (the server treats them as "any" anyway). */
    var elt = evt.detail.elt;
    if (!elt || !elt.closest || !elt.closest(".insight-filters")) { return; }
    var fd = evt.detail.formData;
    if (fd && fd.keys) {
      Array.from(fd.keys()).forEach(function (k) {
        if (fd.getAll(k).every(function (v) { return v === ""; })) { fd.delete(k); }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    document.body.addEventListener("htmx:configRequest", dropEmptyFilters);
    if (window.htmx) { window.htmx.onLoad(function (el) { init(el); }); }
  });
  document.addEventListener("submit", function (evt) {
    /* Without htmx (or before it loads) the GET form would carry every empty field: disable them first. */
    var form = evt.target;
    if (!form.classList || !form.classList.contains("insight-filters") || window.htmx) { return; }
    Array.prototype.forEach.call(form.elements, function (el) { if (el.name && el.value === "") { el.disabled = true; } });
  });
})();
