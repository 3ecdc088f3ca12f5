/* Scroll regions: a code block, equation, table or figure wider than the screen scrolls
   inside itself; this makes each such region reachable by keyboard (tabindex="0"), so
   arrow keys can scroll it (WCAG 2.1.1). Regions that fit are left out of the tab order.
   Classic script, no dependencies; runs at load and again when the window is resized or a
   disclosure opens. */
(function () {
  "use strict";

  var REGIONS = ".highlight, .d-article > pre, .appendix pre, .reproduce pre, .equation, .d-article table, .vellum-figure";
  var MARK = "data-scroll-region";

  function update() {
    Array.prototype.forEach.call(document.querySelectorAll(REGIONS), function (el) {
      var scrolls = el.scrollWidth > el.clientWidth + 1;
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.setAttribute(MARK, "");
      } else if (!scrolls && el.hasAttribute(MARK)) {
        el.removeAttribute("tabindex");
        el.removeAttribute(MARK);
      }
    });
  }

  var pending = 0;
  function schedule() {
    clearTimeout(pending);
    pending = setTimeout(update, 150);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", update); }
  else { update(); }
  window.addEventListener("load", update);
  window.addEventListener("resize", schedule);
  document.addEventListener("toggle", schedule, true);   // a <details> opened: its code may scroll
}());
