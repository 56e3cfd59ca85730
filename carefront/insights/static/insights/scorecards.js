// The scorecards' trend charts: each canvas fetches its figure's series from the trend API
// (GET /api/v1/metrics/figures/{name}/series?bucket=…&<the page's filters>), which answers
// {"name", "bucket", "unit", "points": [{"start": "YYYY-MM-DD", "value": number|null, "count": int}]},
// and draws it with the vendored Chart.js. Without an answer (or without points) the chart stays empty
// and its "no data" note stays visible.
(function () {
  "use strict";
  var COLOUR = "#0b5cad";

  function draw(canvas, series) {
    var points = series && Array.isArray(series.points) ? series.points : [];
    var measured = points.filter(function (point) { return point.value !== null && point.value !== undefined; });
    if (!measured.length || typeof window.Chart === "undefined") {
      return false;
    }
    canvas.parentElement.hidden = false;
    new window.Chart(canvas, {
      type: series.unit === "count" ? "bar" : "line",
      data: {
        labels: points.map(function (point) { return point.start; }),
        datasets: [{
          label: canvas.getAttribute("data-label"),
          data: points.map(function (point) { return point.value; }),
          borderColor: COLOUR,
          backgroundColor: COLOUR,
          pointRadius: 2,
          spanGaps: true,
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: true } },
      },
    });
    return true;
  }

  function load(canvas) {
    var note = canvas.closest("figure") && canvas.closest("figure").querySelector("[data-series-note]");
    fetch(canvas.getAttribute("data-series-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (series) {
        if (draw(canvas, series) && note) {
          note.hidden = true;
        }
      })
      .catch(function () { /* no trend API yet: the note says so */ });
  }

  document.querySelectorAll("canvas[data-series-url]").forEach(load);

  // Typing a day makes the period custom; choosing a preset clears nothing (the server fills its days).
  var form = document.querySelector(".scorecard-filters");
  if (form && form.elements.period) {
    ["start", "end"].forEach(function (name) {
      var field = form.elements[name];
      if (field) {
        field.addEventListener("change", function () { form.elements.period.value = "custom"; });
      }
    });
  }
})();
