/* Trend of the scorecard total by month (Chart.js served locally). The data sit in a JSON
   script element; without JavaScript the table under the chart shows the same numbers. */
(function () {
  "use strict";
  var canvas = document.getElementById("trend-chart");
  var source = document.getElementById("trend-data");
  if (!canvas || !source || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [{ label: document.documentElement.lang === "en" ? "Total" : "Tổng điểm", data: data.totals,
                   borderColor: "#123a66", backgroundColor: "rgba(18,58,102,0.15)", fill: true, tension: 0.2 }]
    },
    options: { animation: false, scales: { y: { min: 0, max: data.max } }, plugins: { legend: { display: false } } }
  });
}());
