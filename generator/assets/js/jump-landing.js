// Jump landing: a link to a heading or figure of the page (the contents, a cross-reference,
// an address with #id) lands on its target even when figures above or around it change
// height while the page scrolls there (a figure that draws itself as it comes near is
// rarely the height of its static picture). For five seconds after a jump, whenever a
// figure resizes or the scrolling settles, the target is put back at its place (its
// scroll-margin-top from the top), unless the reader has scrolled on their own since.
// Classic script, no dependencies; every article page loads it.
(function () {
  "use strict";
  var WINDOW = 5000, target = null, until = 0, settle = 0;

  function find(hash) {
    if (!hash || hash.length < 2) return null;
    try { return document.getElementById(decodeURIComponent(hash.slice(1))); } catch (e) { return null; }
  }
  function margin(element) { return parseFloat(getComputedStyle(element).scrollMarginTop) || 0; }
  function align() {
    if (!target || Date.now() > until) { target = null; return; }
    var off = target.getBoundingClientRect().top - margin(target);
    if (Math.abs(off) > 2) window.scrollTo({ top: window.scrollY + off, behavior: "instant" });
  }
  function land(hash) {
    target = find(hash);
    until = target ? Date.now() + WINDOW : 0;
  }
  function later() {                                   // after the (smooth) scrolling settles
    clearTimeout(settle);
    settle = setTimeout(align, 120);
  }
  function start() {
    if ("ResizeObserver" in window) {
      var watch = new ResizeObserver(later);
      Array.prototype.forEach.call(document.querySelectorAll("figure, .vellum-figure"), function (f) { watch.observe(f); });
    }
    window.addEventListener("scroll", function () { if (target) later(); }, { passive: true });
    ["wheel", "touchstart", "keydown"].forEach(function (name) {
      window.addEventListener(name, function () { target = null; }, { passive: true });
    });
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest('a[href^="#"]') : null;
      if (link) land(link.getAttribute("href"));
    });
    window.addEventListener("hashchange", function () { if (!target) land(location.hash); later(); });
    if (location.hash) { land(location.hash); later(); }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
