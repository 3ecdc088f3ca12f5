// Print pictures: before the page prints (or as soon as print media matches, which is what a
// browser's print preview and a headless print do), every picture the page loads lazily is
// loaded now: figures the reader never scrolled to, and the static pictures of charts
// (`img.chart-print`, hidden on screen and so never loaded there), which print.css shows for
// a chart not yet drawn. Classic script, no dependencies; every article page loads it.
(function () {
  "use strict";
  var prepared = false;
  function prepare() {
    if (prepared) return;
    prepared = true;
    Array.prototype.forEach.call(document.querySelectorAll('img[loading="lazy"]'), function (img) {
      img.loading = "eager";
    });
  }
  window.addEventListener("beforeprint", prepare);
  if (window.matchMedia) {
    var query = window.matchMedia("print");
    var changed = function (event) { if (event.matches) prepare(); };
    if (query.addEventListener) query.addEventListener("change", changed);
    else if (query.addListener) query.addListener(changed);
  }
})();
