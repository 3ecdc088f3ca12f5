// Draws `{bokeh}` figures: each `<script type="application/json" class="bokeh-item">` holds a
// Bokeh json_item; it is embedded into its target when the figure comes near the viewport.
(function () {
  "use strict";
  function draw(script) {
    if (script.dataset.drawn) return;
    script.dataset.drawn = "1";
    var item = JSON.parse(script.textContent);
    window.Bokeh.embed.embed_item(item, script.dataset.target);
  }
  function start() {
    var scripts = Array.prototype.slice.call(document.querySelectorAll("script.bokeh-item"));
    if (!window.Bokeh || !scripts.length) return;
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
    window.addEventListener("beforeprint", function () { scripts.forEach(draw); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
