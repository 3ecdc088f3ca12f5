// What the components that draw figure data share:
// - `decode(enc)`: arrays figures ship quantized (see generator/pipeline/quantize.py), back to
//   numbers: {dtype, shape, offset, scale, axis?, data: base64} -> Float32Array (row-major).
//   uint8 data is offset + scale * byte (one offset and scale per row when axis is 0); float16
//   is decoded bit by bit.
// - `whenNear(selector, build, layout?)`: for each element matching `selector`, `layout(element)`
//   at once (what a figure draws before its data, so it takes its height), then, once it comes near the
//   viewport, load its data script (`data-src`, a classic script that sets
//   `window.VELLUM_DATA[data-key]`, which works from file://) and call `build(element, data)`.
//   An element marked `data-eager` (data of a few kilobytes) loads and draws at once.
//   Content put in the page later (a photo the reader picks) starts the same way when a
//   `vellum:content` event ({root}) announces it.
// - `decimals(values)` and `number(v, decimals, sign)`: one precision across a figure (the
//   largest magnitude gets three significant digits) and a true minus sign, as
//   generator/figures/numbers.py writes them.
// - `elementNear(element, build)`: the same for one element (custom elements call it when
//   they connect).
(function () {
  "use strict";
  function half(h) {
    var s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, f = h & 1023;
    if (e === 0) return s * f * Math.pow(2, -24);
    if (e === 31) return f ? NaN : s * Infinity;
    return s * (1 + f / 1024) * Math.pow(2, e - 15);
  }
  function decode(enc) {
    var raw = atob(enc.data), n = raw.length, out, i;
    if (enc.dtype === "float16") {
      out = new Float32Array(n / 2);
      for (i = 0; i < out.length; i++) out[i] = half(raw.charCodeAt(2 * i) | (raw.charCodeAt(2 * i + 1) << 8));
      return out;
    }
    out = new Float32Array(n);
    var rowLen = enc.axis === 0 ? n / enc.shape[0] : n;
    for (i = 0; i < n; i++) {
      var row = Math.floor(i / rowLen);
      var off = enc.axis === 0 ? enc.offset[row] : enc.offset, sc = enc.axis === 0 ? enc.scale[row] : enc.scale;
      out[i] = off + sc * raw.charCodeAt(i);
    }
    return out;
  }
  function load(root, build) {
    if (root.dataset.loaded) return;
    root.dataset.loaded = "1";
    var key = root.dataset.key, store = window.VELLUM_DATA || {};
    if (store[key]) { build(root, store[key]); return; }
    var script = document.createElement("script");
    script.src = root.dataset.src;
    script.onload = function () { build(root, window.VELLUM_DATA[key]); };
    document.head.appendChild(script);
  }

  function observer(build) {
    if (!("IntersectionObserver" in window)) return null;
    var watch = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { watch.unobserve(entry.target); load(entry.target, build); }
      });
    }, { rootMargin: "400px 0px" });
    return watch;
  }

  function elementNear(root, build) {
    if (root.hasAttribute("data-eager")) { load(root, build); return; }
    var watch = observer(build);
    if (watch) watch.observe(root);
    else load(root, build);
  }

  var parsed = document.readyState === "complete";
  if (!parsed) document.addEventListener("DOMContentLoaded", function () { parsed = true; });

  function whenNear(selector, build, layout) {
    function start(scope) {
      var roots = Array.prototype.slice.call(scope.querySelectorAll(selector));
      var watch = observer(build);
      roots.forEach(function (root) {
        if (layout && !root.dataset.laidOut) { root.dataset.laidOut = "1"; layout(root); }
        if (watch && !root.hasAttribute("data-eager")) watch.observe(root); else load(root, build);
      });
    }
    // After every deferred script has run: a component's helpers may come later in the page.
    if (parsed) start(document);
    else document.addEventListener("DOMContentLoaded", function () { start(document); });
    document.addEventListener("vellum:content", function (event) { start(event.detail.root); });
  }

  function decimals(values) {
    var top = 0;
    for (var i = 0; i < values.length; i++) if (isFinite(values[i])) top = Math.max(top, Math.abs(values[i]));
    if (top === 0) return 2;
    return Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(top))));
  }
  function number(v, places, sign) {
    var text = Math.abs(v).toFixed(places);
    if (Number(text) === 0) return text;
    if (v < 0) return "\u2212" + text;
    return (sign ? "+" : "") + text;
  }

  window.VellumFigureData = { decode: decode, half: half, whenNear: whenNear, elementNear: elementNear,
                              decimals: decimals, number: number };
})();
