// KPI trend charts on the dashboard. Data comes from the json_script element #kpi-trends;
// each <canvas data-kpi-chart="..."> names the series it draws. No inline scripts.
(function () {
  "use strict";
  var BRAND = "#0b5563";
  var ACCENT = "#c4622d";
  var SERIES = {
    headcount_end: { type: "line", sets: [["headcount_end", "Headcount", BRAND]], suffix: "" },
    voluntary_turnover_rate_annualized: {
      type: "line", sets: [["voluntary_turnover_rate_annualized", "Voluntary turnover, annualised", ACCENT]], suffix: "%"
    },
    promotions: { type: "bar", sets: [["promotions", "Promotions", BRAND]], suffix: "" },
    rates: {
      type: "line",
      sets: [["training_completion_rate", "Training completion", BRAND], ["ptcb_on_time_rate", "PTCB on time", ACCENT]],
      suffix: "%", max: 100
    }
  };

  function draw(canvas, data) {
    var spec = SERIES[canvas.dataset.kpiChart];
    if (!spec || typeof window.Chart === "undefined") { return; }
    var datasets = spec.sets.map(function (s) {
      return {
        label: s[1], data: data[s[0]], borderColor: s[2], backgroundColor: spec.type === "bar" ? s[2] : s[2] + "33",
        cubicInterpolationMode: "monotone", spanGaps: true, pointRadius: 3, fill: false
      };
    });
    canvas.chart = new window.Chart(canvas, {
      type: spec.type,
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: true, aspectRatio: 2, animation: false,
        plugins: {
          legend: { display: datasets.length > 1, position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var v = ctx.parsed.y;
                return ctx.dataset.label + ": " + (v === null ? "—" : v + spec.suffix);
              }
            }
          }
        },
        scales: {
          y: { beginAtZero: true, suggestedMax: spec.max, ticks: { precision: 0 } },
          x: { ticks: { maxRotation: 0, autoSkip: true } }
        }
      }
    });
    canvas.dataset.drawn = "true";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("kpi-trends");
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-kpi-chart]").forEach(function (canvas) { draw(canvas, data); });
  });
})();
