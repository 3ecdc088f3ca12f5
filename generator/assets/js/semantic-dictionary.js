// <vellum-dictionary>: hover (or move with the arrow keys over) a photo to see the semantic
// dictionary of each position of a layer: its most active channels as feature-vis icons,
// sized by activation, with values. Also defines window.VellumDictionary, which the
// activation grid reuses: render(panel, layerData, cell) (cell < 0: the empty panel at its
// final size, drawn before the data loads), step(), strongest().
// Data comes from a classic script (data-src) that sets window.VELLUM_DATA[data-key],
// inserted by figure-data.js (loaded before this file) when the figure nears the viewport.
// Without JavaScript the figure shows its strongest position: outlined on the photo, and
// its dictionary beside it.
(function () {
  "use strict";

  function text(tag, className, content) {
    var el = document.createElement(tag);
    el.className = className;
    el.textContent = content;
    return el;
  }

  // Where `channel` fires over the photo: its activation at each position over its own peak,
  // 0-255 (data.maps, decoded once), or null when the data has no map of it.
  function mapOf(data, channel) {
    if (!data.maps) return null;
    if (!data.maps.decoded) {
      var raw = atob(data.maps.data), bytes = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      data.maps.decoded = bytes;
    }
    var at = data.maps.channels.indexOf(channel), n = data.rows * data.cols;
    return at < 0 ? null : data.maps.decoded.subarray(at * n, (at + 1) * n);
  }

  // Draws `channel`'s map on `canvas` (laid over the photo): a dark veil where it is quiet,
  // the photo clear where it fires, one square per position. No channel: hides the canvas.
  function showMap(canvas, data, channel) {
    var map = channel === null ? null : mapOf(data, channel);
    showValues(canvas, data, map, channel === null ? null : String(channel));
  }

  // The same for any map of the layer's positions (0-255 each), named `name`.
  function showValues(canvas, data, map, name) {
    if (!map) { canvas.hidden = true; canvas.removeAttribute("data-channel"); return; }
    canvas.width = data.cols;
    canvas.height = data.rows;
    var context = canvas.getContext("2d"), image = context.createImageData(data.cols, data.rows);
    for (var i = 0; i < map.length; i++) {
      image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = 20;
      image.data[4 * i + 3] = Math.round(200 * (1 - map[i] / 255));
    }
    context.putImageData(image, 0, 0);
    canvas.setAttribute("data-channel", name);
    canvas.hidden = false;
  }

  // The height of one entry: the largest icon, or two lines of text. Every entry takes it,
  // so the panel is as tall for every position, and before the data is there (`cell` < 0).
  function rowHeight(tile) { return Math.max(Math.min(tile, 72), 30); }

  // The dictionary of position `cell` in `panel`: `data` is a layer's dictionary (channels,
  // values, icons); `onChannel(c)` is called with a channel while the pointer or the focus is
  // on its entry, and with null after. With `cell` < 0, the panel at its final size with empty entries: `data`
  // then needs only `layer`, `top` (entries) and `icon_tile` (the icons' side).
  function render(panel, data, cell, onChannel) {
    var empty = cell < 0, icons = data.icons, tile = empty ? data.icon_tile : icons.tile[0], slot = {};
    if (!empty) icons.channels.forEach(function (c, i) { slot[c] = i; });
    var channels = empty ? new Array(data.top).fill(null) : data.channels[cell], values = empty ? [] : data.values[cell];
    var top = Math.max(values[0] || 0, 1e-6), base = Math.min(tile, 72), row = rowHeight(tile);
    var list = document.createElement("ol");
    list.className = "sd-list";
    channels.forEach(function (channel, j) {
      var item = document.createElement("li");
      item.className = "sd-item";
      item.style.height = row + "px";
      var icon = document.createElement("span");
      icon.className = "sd-icon";
      item.appendChild(icon);
      list.appendChild(item);
      if (channel === null) {                    // before the data: a grey square where the icon goes
        icon.style.width = icon.style.height = base + "px";
        icon.style.background = "#f1f1ee";
        return;
      }
      var scale = Math.max(0.35, Math.min(1, values[j] / top));
      var side = Math.round(base * scale), k = side / tile, i = slot[channel];
      icon.style.width = icon.style.height = side + "px";
      icon.style.backgroundImage = "url(\"" + icons.src + "\")";
      icon.style.backgroundSize = (icons.width * k) + "px " + (icons.height * k) + "px";
      icon.style.backgroundPosition = (-(i % icons.columns) * side) + "px " + (-Math.floor(i / icons.columns) * side) + "px";
      var label = text(data.units ? "a" : "span", "sd-label", "channel " + channel);
      if (data.units) label.href = data.units + channel + "/index.html";   // the unit's page
      item.appendChild(label);
      item.appendChild(text("span", "sd-value", values[j].toFixed(2)));
      if (onChannel) {
        item.addEventListener("mouseenter", function () { onChannel(channel); });
        item.addEventListener("mouseleave", function () { onChannel(null); });
        label.addEventListener("focus", function () { onChannel(channel); });
        label.addEventListener("blur", function () { onChannel(null); });
      }
    });
    panel.textContent = "";
    if (empty) {
      panel.appendChild(text("p", "sd-where", data.layer));
      panel.appendChild(list);
      return;
    }
    var x = cell % data.cols, y = Math.floor(cell / data.cols);
    panel.appendChild(text("p", "sd-where", data.layer + " at (" + x + ", " + y + ")"));
    panel.appendChild(list);
    panel.setAttribute("aria-label", data.layer + " at (" + x + ", " + y + "): " + channels.map(function (c, j) {
      return "channel " + c + " " + values[j].toFixed(2);
    }).join(", "));
  }

  function step(key, cell, rows, cols) {
    var x = cell % cols, y = Math.floor(cell / cols);
    if (key === "ArrowLeft") x = Math.max(0, x - 1);
    else if (key === "ArrowRight") x = Math.min(cols - 1, x + 1);
    else if (key === "ArrowUp") y = Math.max(0, y - 1);
    else if (key === "ArrowDown") y = Math.min(rows - 1, y + 1);
    else if (key === "Home") { x = 0; y = 0; }
    else if (key === "End") { x = cols - 1; y = rows - 1; }
    else return -1;
    return y * cols + x;
  }

  function strongest(data) {
    var best = 0;
    data.magnitude.forEach(function (m, i) { if (m > data.magnitude[best]) best = i; });
    return best;
  }

  window.VellumDictionary = { render: render, step: step, strongest: strongest, showMap: showMap,
                              showValues: showValues };

  class Element extends HTMLElement {}

  Element.prototype.connectedCallback = function () {
    if (this._started) return;
    this._started = true;
    window.VellumFigureData.elementNear(this, function (element, data) { element.build(data); });
  };

  Element.prototype.build = function (data) {
    var self = this;
    this.data = data;
    var photo = this.querySelector("img.sd-photo");
    Array.prototype.forEach.call(this.querySelectorAll(".sd-fallback"), function (el) { el.remove(); });
    var stage = document.createElement("div");
    stage.className = "sd-stage";
    stage.tabIndex = 0;
    stage.setAttribute("role", "application");
    stage.setAttribute("aria-label", "Positions of " + data.layer + ": move with the arrow keys");
    photo.parentNode.insertBefore(stage, photo);
    stage.appendChild(photo);
    this.map = document.createElement("canvas");
    this.map.className = "sd-map";
    this.map.hidden = true;
    stage.appendChild(this.map);
    this.mark = document.createElement("div");
    this.mark.className = "sd-mark";
    stage.appendChild(this.mark);
    this.panel = document.createElement("div");
    this.panel.className = "sd-panel";
    this.panel.setAttribute("aria-live", "polite");
    this.appendChild(this.panel);
    function point(event) {
      var box = stage.getBoundingClientRect();
      var x = Math.min(data.cols - 1, Math.floor((event.clientX - box.left) / box.width * data.cols));
      var y = Math.min(data.rows - 1, Math.floor((event.clientY - box.top) / box.height * data.rows));
      self.select(Math.max(0, y) * data.cols + Math.max(0, x));
    }
    stage.addEventListener("mousemove", point);
    stage.addEventListener("pointerdown", point);      // a tap points too
    stage.addEventListener("keydown", function (event) {
      var next = step(event.key, self.cell, data.rows, data.cols);
      if (next < 0) return;
      event.preventDefault();
      self.select(next);
    });
    this.select(strongest(data));
  };

  Element.prototype.select = function (cell) {
    if (cell === this.cell) return;
    var data = this.data;
    this.cell = cell;
    var x = cell % data.cols, y = Math.floor(cell / data.cols);
    this.mark.style.left = (100 * x / data.cols) + "%";
    this.mark.style.top = (100 * y / data.rows) + "%";
    this.mark.style.width = (100 / data.cols) + "%";
    this.mark.style.height = (100 / data.rows) + "%";
    var map = this.map;
    render(this.panel, data, cell, function (channel) { showMap(map, data, channel); });
  };

  if (!customElements.get("vellum-dictionary")) customElements.define("vellum-dictionary", Element);
})();
