// <vellum-attribution data-src="data/fig-x.<hash>.js" data-key="fig-x">: the
// `spatial-attribution` figure. Its data script (window.VELLUM_DATA[key], loaded when the
// figure nears the viewport) holds the image URL and quantized attribution maps.
//
// Layer to layer: two panels, the earlier and the later layer over the image. Hover (or move
// with the arrow keys) a cell of one panel: the other panel shows that cell's attribution as a
// heatmap; the cell is outlined. To classes: one panel per target (A, B, A − B), each its map;
// the hovered cell is outlined in every panel and its values are read out below, with the
// cell's semantic dictionary and what it does (semantic-dictionary.js, position-panel.js);
// pointing at a channel or a group there veils every panel except where it is.
// Magenta is positive, green negative (colour-blind safe); each map is scaled to its own peak,
// drawn as square cells.
(function () {
  "use strict";
  var POS = [197, 27, 125], NEG = [77, 146, 33];

  // Quantized arrays are decoded by figure-data.js (loaded before this file).
  function decode(enc) { return window.VellumFigureData.decode(enc); }
  function peak(values) {
    var m = 0;
    for (var i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
    return m || 1;
  }

  function Panel(title, grid, image, photo, label, srcset) {
    this.grid = grid;
    this.el = document.createElement("div");
    this.el.className = "va-panel";
    this.el.tabIndex = 0;
    this.el.setAttribute("role", "group");
    this.el.setAttribute("aria-label", label);
    this.el.innerHTML = '<p class="va-title"></p><div class="va-stage"><img alt=""><canvas></canvas><div class="va-cell" hidden></div></div>';
    this.el.querySelector(".va-title").textContent = title;
    var img = this.el.querySelector("img");
    img.loading = "lazy";         // laid out with the page, loaded when the figure comes near
    if (srcset) img.srcset = srcset;                 // twice the pixels for dense screens
    img.src = image;
    img.width = photo.width;      // the stage takes the photo's shape before it loads
    img.height = photo.height;
    this.canvas = this.el.querySelector("canvas");
    this.canvas.width = grid.width;
    this.canvas.height = grid.height;
    this.ctx = this.canvas.getContext("2d");
    this.pixels = this.ctx.createImageData(grid.width, grid.height);
    this.cell = this.el.querySelector(".va-cell");
    this.cell.style.width = 100 / grid.width + "%";
    this.cell.style.height = 100 / grid.height + "%";
  }
  // Draw values[offset + i * stride] for each cell i as a heatmap scaled to its own peak;
  // no values: clear.
  Panel.prototype.draw = function (values, offset, stride) {
    var d = this.pixels.data, n = this.grid.width * this.grid.height, i;
    if (!values) { d.fill(0); this.ctx.putImageData(this.pixels, 0, 0); return; }
    var m = 0;
    for (i = 0; i < n; i++) m = Math.max(m, Math.abs(values[offset + i * stride]));
    m = m || 1;
    for (i = 0; i < n; i++) {
      var t = values[offset + i * stride] / m, c = t >= 0 ? POS : NEG;
      d[4 * i] = c[0]; d[4 * i + 1] = c[1]; d[4 * i + 2] = c[2];
      d[4 * i + 3] = Math.round(Math.pow(Math.abs(t), 0.8) * 215);
    }
    this.ctx.putImageData(this.pixels, 0, 0);
  };
  Panel.prototype.mark = function (index) { // outline cell `index`, or hide the outline (null)
    if (index === null) { this.cell.hidden = true; return; }
    this.cell.hidden = false;
    this.cell.style.left = (index % this.grid.width) * 100 / this.grid.width + "%";
    this.cell.style.top = Math.floor(index / this.grid.width) * 100 / this.grid.height + "%";
  };
  Panel.prototype.cellAt = function (event) {
    var r = this.canvas.getBoundingClientRect();
    var x = Math.floor((event.clientX - r.left) / r.width * this.grid.width);
    var y = Math.floor((event.clientY - r.top) / r.height * this.grid.height);
    if (x < 0 || y < 0 || x >= this.grid.width || y >= this.grid.height) return null;
    return y * this.grid.width + x;
  };

  // What the data does not change, drawn as the element is found: the panels over the photo,
  // the readout, the legend and the position's panel, empty and at their final size, so the
  // figure takes its height before the reader gets to it. `L` is `data-layout`: the figure's
  // data without its maps.
  function layout(root, L) {
    var parts = { wrap: document.createElement("div"), readout: document.createElement("div"),
                  legend: document.createElement("div"), side: null };
    root.classList.add("is-laid-out");
    parts.wrap.className = "va-panels";
    parts.readout.className = "va-readout";
    parts.readout.setAttribute("aria-live", "polite");
    parts.legend.className = "va-legend";
    parts.legend.innerHTML = "<span>negative</span><span class=\"va-ramp\"></span><span>positive</span>";
    root.appendChild(parts.wrap);
    root.appendChild(parts.readout);
    root.appendChild(parts.legend);
    if (L.mode === "layers") {
      var a = L.layers[0], b = L.layers[1];
      parts.panels = [
        new Panel(a.name + " (earlier)", a, L.image, L.photo, a.name + " positions: arrow keys move the cell", L.image_srcset),
        new Panel(b.name + " (later)", b, L.image, L.photo, b.name + " positions: arrow keys move the cell", L.image_srcset)
      ];
    } else {
      parts.panels = L.targets.map(function (name) {
        return new Panel(name, L.layer, L.image, L.photo, "Attribution of " + L.layer.name + " to " + name + ": arrow keys move the cell",
                         L.image_srcset);
      });
      parts.readout.style.minHeight = 1.5 * (1 + L.targets.length) + "em";    // a line for each target
    }
    parts.panels.forEach(function (panel) { parts.wrap.appendChild(panel.el); });
    if (L.position && window.VellumDictionary && window.VellumPosition) {  // to classes: the position's panel
      parts.side = document.createElement("div");
      parts.side.className = "va-position";
      root.appendChild(parts.side);
      var dictionary = document.createElement("div");
      dictionary.className = "sd-panel";
      window.VellumDictionary.render(dictionary, L.position, -1);
      parts.side.appendChild(dictionary);
      parts.side.appendChild(window.VellumPosition.render(L.position, -1));
    }
    root._parts = parts;
  }

  function build(root, data) {
    var parts = root._parts;
    var fallback = root.querySelector(".figure-fallback");
    if (fallback) fallback.remove();
    root.classList.add("is-drawn");
    var view = data.mode === "layers" ? layersView(data, parts.panels, parts.readout)
                                      : classesView(data, parts.panels, parts.readout, parts.side);
    view.panels.forEach(function (panel, p) {
      var stage = panel.el.querySelector(".va-stage");
      function point(e) {
        var i = panel.cellAt(e);
        if (i !== null) view.select(p, i);
      }
      stage.addEventListener("pointermove", point);
      stage.addEventListener("pointerdown", point);          // a tap selects the cell
      panel.el.addEventListener("keydown", function (e) {
        var move = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
        if (!move) return;
        e.preventDefault();
        var g = panel.grid, cur = view.current(p);
        var x = Math.min(g.width - 1, Math.max(0, cur % g.width + move[0]));
        var y = Math.min(g.height - 1, Math.max(0, Math.floor(cur / g.width) + move[1]));
        view.select(p, y * g.width + x);
      });
    });
    view.start();
  }

  function layersView(data, panels, readout) {
    var a = data.layers[0], b = data.layers[1];
    var values = decode(data.attribution);            // [P2 rows, P1 cols]
    var cols = a.width * a.height;
    function centre(g) { return Math.floor(g.height / 2) * g.width + Math.floor(g.width / 2); }
    var state = { panel: 1, cell: [centre(a), centre(b)] };
    function xy(g, i) { return "(" + (i % g.width) + ", " + Math.floor(i / g.width) + ")"; }
    function select(p, i) {
      state.panel = p;
      state.cell[p] = i;
      if (p === 1) {      // a later cell: its attribution over the earlier layer
        panels[0].draw(values, i * cols, 1); panels[1].draw(null);
        panels[1].mark(i); panels[0].mark(null);
        readout.textContent = "Cell " + xy(b, i) + " of " + b.name + ": how much each position of " +
          a.name + " contributes to its activation.";
      } else {            // an earlier cell: its effect on every later cell
        panels[1].draw(values, i, cols); panels[0].draw(null);
        panels[0].mark(i); panels[1].mark(null);
        readout.textContent = "Cell " + xy(a, i) + " of " + a.name + ": how much it contributes to each position of " +
          b.name + ".";
      }
    }
    return { panels: panels, select: select, current: function (p) { return state.cell[p]; },
             start: function () { select(1, state.cell[1]); } };
  }

  // The position panel of cell `i` in `side`; pointing at a channel or a group veils every
  // panel's photo except where it is.
  function showPosition(side, P, panels, i) {
    function veil(map, name) {
      panels.forEach(function (panel) { window.VellumDictionary.showValues(panel.veil, P, map, name); });
    }
    function onChannel(channel) {
      panels.forEach(function (panel) { window.VellumDictionary.showMap(panel.veil, P, channel); });
    }
    var dictionary = document.createElement("div");
    dictionary.className = "sd-panel";
    window.VellumDictionary.render(dictionary, P, i, onChannel);
    side.textContent = "";
    side.appendChild(dictionary);
    side.appendChild(window.VellumPosition.render(P, i, onChannel, function (g) {
      if (g === null) veil(null, null);
      else veil(P.positions.groups.maps[g], "group " + (g + 1));
    }));
  }

  function line(parent, text) {
    var p = document.createElement("span");
    p.className = "va-line";
    p.textContent = text;
    p.title = text;                              // one line, cut short on a phone: whole on hover
    parent.appendChild(p);
  }

  function classesView(data, panels, readout, side) {
    var g = data.layer, n = g.width * g.height;
    var maps = decode(data.maps);                     // [T, H*W]
    var peaks = data.targets.map(function (_, t) { return peak(maps.subarray(t * n, (t + 1) * n)); });
    var places = window.VellumFigureData.decimals(peaks);           // one precision in the figure
    function fmt(v) { return window.VellumFigureData.number(v, places, true); }
    var state = { cell: Math.floor(g.height / 2) * g.width + Math.floor(g.width / 2) };
    if (side) panels.forEach(function (panel) {
      panel.veil = document.createElement("canvas");
      panel.veil.className = "sd-map";
      panel.veil.hidden = true;
      panel.el.querySelector(".va-stage").appendChild(panel.veil);
    });
    function select(_, i) {
      var changed = state.cell !== i;
      state.cell = i;
      panels.forEach(function (panel) { panel.mark(i); });
      if (side && (changed || !side.dataset.cell)) { side.dataset.cell = String(i); showPosition(side, data.position, panels, i); }
      readout.textContent = "";                      // a line for the cell, one for each target
      line(readout, "Cell (" + (i % g.width) + ", " + Math.floor(i / g.width) + ") of " + g.name +
           (data.steps ? " (integrated gradients, " + data.steps + " steps):" : ":"));
      data.targets.forEach(function (name, t) {
        var share = Math.round(100 * maps[t * n + i] / peaks[t]);     // one minus sign: U+2212
        line(readout, fmt(maps[t * n + i]) + " (" + (share < 0 ? "\u2212" + -share : share) + "% of peak): " + name);
      });
    }
    return { panels: panels, select: select, current: function () { return state.cell; },
             start: function () {
               panels.forEach(function (panel, t) { panel.draw(maps, t * n, 1); });
               select(0, state.cell);
             } };
  }

  window.VellumFigureData.whenNear("vellum-attribution[data-src]", build, function (root) {
    layout(root, JSON.parse(root.dataset.layout));
  });
})();
