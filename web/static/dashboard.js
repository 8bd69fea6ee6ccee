/* The dashboard's charts (ECharts, served from /vendor/echarts). The figures come from
   the page (#dashboard-data); a click on a bar or slice opens the list behind it. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];

  function follow(params) {
    var url = params && params.data && params.data.url;
    if (url) { window.location.href = url; }
  }

  function hbar(spec) {
    var categories = spec.categories.slice().reverse();  // first category on top
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: spec.series.length > 1 ? { top: 0 } : undefined,
      grid: { left: 8, right: 24, top: spec.series.length > 1 ? 28 : 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: categories, axisLabel: { width: 150, overflow: "truncate" } },
      series: spec.series.map(function (s) {
        return {
          name: s.name, type: "bar", cursor: "pointer",
          itemStyle: s.colour ? { color: s.colour } : undefined,
          label: { show: true, position: "right", formatter: function (p) { return p.value ? p.value : ""; } },
          data: s.data.slice().reverse()
        };
      })
    };
  }

  function pie(spec) {
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0 },
      series: [{
        type: "pie", radius: ["35%", "65%"], cursor: "pointer",
        label: { formatter: function (p) { return p.value ? p.name + "\n" + p.value : ""; } },
        labelLine: { show: true },
        data: spec.items.map(function (item) {
          return { name: item.name, value: item.value, url: item.url, itemStyle: { color: item.colour },
                   labelLine: { show: item.value > 0 } };
        })
      }]
    };
  }

  function gauge(spec) {
    return {
      series: [{
        type: "gauge", min: 0, max: 100, cursor: "pointer",
        progress: { show: true, width: 14 },
        axisLine: { lineStyle: { width: 14 } },
        detail: { valueAnimation: false, formatter: spec.rate === null ? "—" : "{value}%", fontSize: 26 },
        title: { offsetCenter: [0, "75%"], fontSize: 12 },
        data: [{ value: spec.rate === null ? 0 : spec.rate, name: spec.detail, url: spec.url }]
      }]
    };
  }

  var builders = { hbar: hbar, pie: pie, gauge: gauge };
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var spec = data[element.getAttribute("data-chart")];
    var build = builders[element.getAttribute("data-kind")];
    if (!spec || !build) { return; }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.on("finished", function () { element.setAttribute("data-rendered", "1"); });
    chart.setOption(build(spec));
    chart.on("click", follow);
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
