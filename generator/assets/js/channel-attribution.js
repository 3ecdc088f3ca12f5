// <vellum-channel-attribution data-chart="fig-x-chart">: the `channel-attribution` figure.
// The Bokeh bar chart is drawn by js/bokeh-figure.js; this component links it to the icon
// lists (li.ca-icon[data-index], the bar of the same row). Hovering or focusing an icon
// selects its bar (the others fade); hovering a bar (the chart's HoverTool dispatches
// `vellum:bar-hover` {chart, index} on the document) highlights its icon. Either shows where
// that channel fires: the photo beside the lists is veiled except there (the maps are in
// the figure's `script.ca-maps`; window.VellumDictionary.showValues draws them).
(function () {
  "use strict";

  // The chart's ColumnDataSource, once BokehJS has embedded it (null before).
  function findSource(name) {
    var docs = (window.Bokeh && window.Bokeh.documents) || [];
    for (var i = 0; i < docs.length; i++) {
      var model = docs[i].get_model_by_name(name);
      if (model) return model;
    }
    return null;
  }

  function mapsOf(root) {
    var script = root.querySelector("script.ca-maps");
    if (!script) return null;
    var maps = JSON.parse(script.textContent), raw = atob(maps.data);
    maps.bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) maps.bytes[i] = raw.charCodeAt(i);
    return maps;
  }

  function setup(root) {
    var chart = root.dataset.chart;
    var icons = Array.prototype.slice.call(root.querySelectorAll(".ca-icon"));
    var maps = mapsOf(root), canvas = root.querySelector(".ca-photo canvas");
    function showChannel(index) {
      if (!maps || !canvas || !window.VellumDictionary) return;
      var icon = icons.filter(function (el) { return Number(el.dataset.index) === index; })[0];
      var channel = icon ? Number(icon.dataset.channel) : -1, at = maps.channels.indexOf(channel);
      var n = maps.rows * maps.cols;
      window.VellumDictionary.showValues(canvas, maps, at < 0 ? null : maps.bytes.subarray(at * n, (at + 1) * n),
                                         String(channel));
    }
    function highlight(index) {
      icons.forEach(function (icon) {
        icon.classList.toggle("is-active", Number(icon.dataset.index) === index);
      });
      showChannel(index);
    }
    function selectBar(index) {
      var source = findSource(chart + "-source");
      if (source) source.selected.indices = index < 0 ? [] : [index];
    }
    icons.forEach(function (icon) {
      var index = Number(icon.dataset.index);
      function on() { highlight(index); selectBar(index); }
      function off() { highlight(-1); selectBar(-1); }
      icon.addEventListener("mouseenter", on);
      icon.addEventListener("focusin", on);        // the icon, or its link to the unit's page
      icon.addEventListener("mouseleave", off);
      icon.addEventListener("focusout", off);
      icon.addEventListener("keydown", function (e) {
        var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
        if (!step) return;
        e.preventDefault();
        var at = icons.indexOf(icon) + step;
        if (at >= 0 && at < icons.length) (icons[at].querySelector("a") || icons[at]).focus();
      });
    });
    document.addEventListener("vellum:bar-hover", function (e) {
      if (e.detail && e.detail.chart === chart) highlight(e.detail.index);
    });
  }

  function start(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll("vellum-channel-attribution[data-chart]"), setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { start(document); });
  else start(document);
  document.addEventListener("vellum:content", function (event) { start(event.detail.root); });  // a picked photo
})();
