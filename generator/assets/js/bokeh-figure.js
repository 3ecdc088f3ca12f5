// Draws `{bokeh}` figures: each `<script type="application/json" class="bokeh-item">` holds a
// Bokeh json_item; it is embedded into its target when the figure comes near the viewport.
// BokehJS (the item's `data-bokeh`) is loaded then, once, so a page does not download it
// before a chart is about to be seen. A chart not drawn prints its static picture
// (js/print-pictures.js); a drawn one gets the class `is-drawn` and prints itself. Charts in
// content put in the page later start when a `vellum:content` event ({root}) announces it.
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
  function draw(script) {
    if (script.dataset.drawn) return;
    script.dataset.drawn = "1";
    withBokeh(script.dataset.bokeh, function () {
      var target = document.getElementById(script.dataset.target);
      Promise.resolve(window.Bokeh.embed.embed_item(JSON.parse(script.textContent), script.dataset.target))
        .then(function () { if (target) target.classList.add("is-drawn"); });
    });
  }
  function start(scope) {
    var scripts = Array.prototype.slice.call(scope.querySelectorAll("script.bokeh-item"));
    if (!scripts.length) return;
    if (!("IntersectionObserver" in window)) { scripts.forEach(draw); return; }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        var script = document.querySelector('script.bokeh-item[data-target="' + entry.target.id + '"]');
        if (script) draw(script);
      });
    }, { rootMargin: "400px 0px" });
    scripts.forEach(function (script) {
      var target = document.getElementById(script.dataset.target);
      if (target) observer.observe(target);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { start(document); });
  else start(document);
  document.addEventListener("vellum:content", function (event) { start(event.detail.root); });
})();
