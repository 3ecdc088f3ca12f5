// Draws `{bokeh}` figures: each `<script type="application/json" class="bokeh-item">` holds a
// Bokeh json_item; it is embedded into its target when the figure comes near the viewport.
// BokehJS (the item's `data-bokeh`) is loaded then, once, so a page does not download it
// before a chart is about to be seen. A chart not drawn prints its static picture
// (js/print-pictures.js); a drawn one gets the class `is-drawn` and prints itself. Charts in
// content put in the page later start when a `vellum:content` event ({root}) announces it.
// A row of plots that wraps on a narrow screen reserves its stacked height (data-stack-*).
(function () {
  "use strict";
  var waiting = null;
  function withBokeh(src, done) {
    if (window.Bokeh) { done(); return; }
    if (waiting) { waiting.push(done); return; }
    waiting = [done];
    var script = document.createElement("script");
    script.src = src;
    script.onload = function () { var queue = waiting; waiting = null; queue.forEach(function (f) { f(); }); };
    document.head.appendChild(script);
  }
  // Draw the chart of `script` into `target`; a target no longer in the page when BokehJS
  // arrives or when it embeds (the reader picked another photo meanwhile) waits, with
  // `again`, until it is back.
  function draw(script, target, again) {
    if (script.dataset.drawn) return;
    script.dataset.drawn = "1";
    function later() { script.dataset.drawn = ""; again(target); }
    withBokeh(script.dataset.bokeh, function () {
      if (!target.isConnected) { later(); return; }
      Promise.resolve(window.Bokeh.embed.embed_item(JSON.parse(script.textContent), target))
        .then(function () { target.classList.add("is-drawn"); },
              function (error) { if (target.isConnected) throw error; later(); });
    });
  }
  function start(scope) {
    var scripts = Array.prototype.slice.call(scope.querySelectorAll("script.bokeh-item"));
    if (!scripts.length) return;
    var targets = new Map();
    scripts.forEach(function (script) {
      var target = scope.querySelector("#" + CSS.escape(script.dataset.target));
      if (!target) return;
      targets.set(target, script);
      if (target.dataset.stackWidth && target.clientWidth < Number(target.dataset.stackWidth)) {
        target.style.minHeight = target.dataset.stackHeight + "px";   // its plots will stack: no jump then
      }
    });
    if (!("IntersectionObserver" in window)) {
      targets.forEach(function (script, target) { draw(script, target, function () {}); });
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        draw(targets.get(entry.target), entry.target, function (target) { observer.observe(target); });
      });
    }, { rootMargin: "400px 0px" });
    targets.forEach(function (script, target) { observer.observe(target); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { start(document); });
  else start(document);
  document.addEventListener("vellum:content", function (event) { start(event.detail.root); });
})();
