// The practice-test trend on a technician's certifications page: overall score and the four
// PTCE domains over time, with the pass mark. Data comes from Django's json_script
// (#practice-chart-data); no inline script, so the page keeps its strict CSP.
(function () {
  "use strict";
  var dataNode = document.getElementById("practice-chart-data");
  var canvas = document.getElementById("practice-chart");
  if (!dataNode || !canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(dataNode.textContent);
  // Colour-blind-safe palette (Okabe-Ito), distinct dash patterns so lines read without colour.
  var domainStyles = {
    medications: { color: "#0072B2", dash: [6, 3] },
    federal_requirements: { color: "#D55E00", dash: [2, 3] },
    patient_safety: { color: "#009E73", dash: [8, 3, 2, 3] },
    order_entry: { color: "#CC79A7", dash: [12, 4] }
  };
  var datasets = [{
    label: "Overall",
    data: data.overall,
    borderColor: "#0b5563",
    backgroundColor: "#0b5563",
    borderWidth: 3,
    pointRadius: 4,
    tension: 0.2
  }];
  Object.keys(data.domains).forEach(function (key) {
    var style = domainStyles[key] || { color: "#6c757d", dash: [] };
    datasets.push({
      label: data.domains[key].label,
      data: data.domains[key].scores,
      borderColor: style.color,
      backgroundColor: style.color,
      borderDash: style.dash,
      borderWidth: 1.5,
      pointRadius: 2,
      tension: 0.2
    });
  });
  datasets.push({
    label: "Pass mark (" + data.pass_mark + "%)",
    data: data.labels.map(function () { return data.pass_mark; }),
    borderColor: "#5c636a",
    borderDash: [4, 4],
    borderWidth: 1,
    pointRadius: 0,
    fill: false
  });
  // A fixed-height box (set here: no inline styles) so the chart stays readable at 390 px.
  var box = canvas.parentElement;
  var narrowQuery = window.matchMedia("(max-width: 575.98px)");
  function sizeBox() { box.style.position = "relative"; box.style.height = narrowQuery.matches ? "340px" : "320px"; }
  sizeBox();
  var narrow = narrowQuery.matches;
  var labels = data.labels.map(function (iso) {
    var parts = iso.split("-");
    var day = new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
    return day.toLocaleDateString("en-US", { month: "short", day: "numeric" });
  });
  var chart = new Chart(canvas, {
    type: "line",
    data: { labels: labels, datasets: datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        y: { min: 0, max: 100, ticks: { stepSize: 20, callback: function (v) { return v + "%"; } } }
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: narrow ? 12 : 24, font: { size: narrow ? 11 : 12 } } },
        tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + ctx.parsed.y + "%"; } } }
      }
    }
  });
  narrowQuery.addEventListener("change", function () {
    sizeBox();
    var small = narrowQuery.matches;
    chart.options.plugins.legend.labels.boxWidth = small ? 12 : 24;
    chart.options.plugins.legend.labels.font.size = small ? 11 : 12;
    chart.resize();
  });
})();
