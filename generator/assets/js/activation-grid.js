// <vellum-activation-grid>: the photo, the activation grid of a layer (each cell the feature
// visualization of that position's activation vector, at full strength; a checkbox fades
// each cell by its activation's magnitude), and the
// semantic dictionary of the cell under the pointer or the keyboard (arrow keys, Home, End).
// Beside the dictionary, what the position does: its attribution to the photo's two likeliest
// classes, the channels there that push toward one rather than the other (hover one: where
// it fires), and its share of each of the layer's neuron groups (hover one: where the group
// is). The position is outlined on the photo and in the grid. Several layers get a switcher. Loads its data script with figure-data.js and draws the
// dictionary with window.VellumDictionary (semantic-dictionary.js) and what the position does
// with window.VellumPosition (position-panel.js), all loaded before this file. The layout
// (`data-layout`: the photo, each layer's shape and sprite) is drawn as the element connects, at
// its final size; the data fills it when the figure comes near. Replaces the fallback <img>
// (the first layer's grid, the same sprite), which print shows until then.
(function () {
  "use strict";

  class ActivationGrid extends HTMLElement {
    connectedCallback() {
      if (this._started) {            // shown again (the reader came back to this photo)
        if (this.chosenLayer() !== this.shown) this.showLayer(this.chosenLayer());
        return;
      }
      if (!window.VellumDictionary || !window.VellumFigureData) return;
      this._started = true;
      this.layout(JSON.parse(this.dataset.layout));
      window.VellumFigureData.elementNear(this, function (element, data) { element.fill(data); });
    }

    // The layer the reader last picked in this figure, for any of its photos (a photo choice
    // keeps it), else the first.
    chosenLayer() {
      var choice = this.closest("vellum-photo-choice"), name = choice && choice.dataset.layer;
      var n = this.L.layers.findIndex(function (layer) { return layer.layer === name; });
      return n < 0 ? 0 : n;
    }

    // Everything the data does not change, drawn at once: the switcher, the photo, the grid's
    // cells at their size and the panel at its final height, so the figure takes its height
    // before the reader gets to it (a jump to a later heading lands where it should).
    layout(L) {
      var self = this;
      this.L = L;
      this.classList.add("is-laid-out");
      if (L.layers.length > 1) {
        var bar = document.createElement("div");
        bar.className = "ag-switch";
        bar.setAttribute("role", "group");
        bar.setAttribute("aria-label", "Layer");
        this.buttons = L.layers.map(function (layer, n) {
          var button = document.createElement("button");
          button.type = "button";
          button.textContent = layer.layer;
          button.addEventListener("click", function () {
            var choice = self.closest("vellum-photo-choice");
            if (choice) choice.dataset.layer = layer.layer;
            self.showLayer(n);
          });
          bar.appendChild(button);
          return button;
        });
        this.appendChild(bar);
      }
      var fade = document.createElement("label");           // the activation, as an optional fade
      fade.className = "ag-fade";
      this.fadeBox = document.createElement("input");
      this.fadeBox.type = "checkbox";
      this.fadeBox.disabled = true;                          // until the magnitudes are there
      this.fadeBox.addEventListener("change", function () { self.applyFade(); });
      fade.appendChild(this.fadeBox);
      fade.appendChild(document.createTextNode(" Fade weak positions"));
      this.appendChild(fade);
      var body = document.createElement("div");
      body.className = "ag-body";
      var photo = document.createElement("div");
      photo.className = "ag-photo";
      var img = document.createElement("img");
      img.loading = "lazy";
      img.alt = "";
      img.width = L.photo_size.width;
      img.height = L.photo_size.height;
      if (L.photo_srcset) img.srcset = L.photo_srcset;   // twice the pixels for dense screens
      img.src = L.photo;
      photo.appendChild(img);
      this.map = document.createElement("canvas");           // where a hovered channel fires
      this.map.className = "sd-map";
      this.map.hidden = true;
      photo.appendChild(this.map);
      this.mark = document.createElement("div");
      this.mark.className = "ag-mark";
      photo.appendChild(this.mark);
      this.grid = document.createElement("div");
      this.grid.className = "ag-grid";
      this.grid.tabIndex = 0;
      this.grid.setAttribute("role", "application");
      this.panel = document.createElement("div");
      this.panel.className = "sd-panel";
      this.panel.setAttribute("aria-live", "polite");
      body.appendChild(photo);
      body.appendChild(this.grid);
      body.appendChild(this.panel);
      this.appendChild(body);
      this.grid.addEventListener("mouseover", function (event) {
        var i = event.target.getAttribute("data-i");
        if (i !== null && self.data) self.select(Number(i));
      });
      this.grid.addEventListener("click", function (event) {     // a tap selects the cell
        var i = event.target.getAttribute("data-i");
        if (i !== null && self.data) self.select(Number(i));
      });
      this.grid.addEventListener("keydown", function (event) {
        if (!self.data) return;
        var layer = self.layer;
        var next = window.VellumDictionary.step(event.key, self.cell, layer.rows, layer.cols);
        if (next < 0) return;
        event.preventDefault();
        self.select(next);
      });
      this.showLayer(this.chosenLayer());
      if (window.ResizeObserver) {                  // a window resized or a phone turned: cells refit
        new ResizeObserver(function () { self.sizeCells(); }).observe(this);
      }
    }

    // The data is there: each layer's dictionaries and positions join its layout.
    fill(data) {
      this.data = data;
      var fallback = this.querySelector(".figure-fallback");
      if (fallback) fallback.remove();
      this.fadeBox.disabled = false;
      this.classList.add("is-drawn");
      this.showLayer(this.shown || 0);
    }

    showLayer(n) {
      var laid = this.L.layers[n], layer = this.data ? Object.assign({}, laid, this.data.layers[n]) : laid;
      var cells = laid.cells;
      this.shown = n;
      this.layer = layer;
      this.cell = -1;
      (this.buttons || []).forEach(function (b, m) { b.setAttribute("aria-pressed", String(m === n)); });
      this.grid.setAttribute("aria-label", "Activation grid of " + layer.layer + ", " + layer.cols + " by " +
        layer.rows + " cells: move with the arrow keys");
      var magnitude = layer.magnitude, top = magnitude ? Math.max.apply(null, magnitude) || 1 : 1;
      this.grid.textContent = "";
      this.cellEls = [];
      for (var i = 0; i < layer.rows * layer.cols; i++) {
        var el = document.createElement("div");
        el.className = "ag-cell";
        el.setAttribute("data-i", String(i));
        if (magnitude) {           // the sprite loads with the data, when the figure comes near
          el.style.backgroundImage = "url(\"" + cells.src + "\")";
          el.setAttribute("data-strength", String(Math.max(0.04, magnitude[i] / top).toFixed(3)));
        }
        this.grid.appendChild(el);
        this.cellEls.push(el);
      }
      this.side = 0;
      this.sizeCells();
      if (!magnitude) {            // no data yet: the panel empty, at its final height
        window.VellumDictionary.render(this.panel, layer, -1);
        if (layer.labels) this.panel.appendChild(window.VellumPosition.render(layer, -1));
        return;
      }
      this.applyFade();
      this.select(window.VellumDictionary.strongest(layer));
    }

    // The cells' side for the figure's width now (again when the width changes): at most the
    // tile's, the grid beside the photo and the panel, or under 700 px the whole width.
    sizeCells() {
      if (!this.cellEls) return;
      var layer = this.layer, cells = this.L.layers[this.shown].cells;
      var width = this.clientWidth || 640;         // under 700 px the views stack: the grid takes the width
      var room = width < 700 ? width : Math.max(160, Math.min(560, width - 200 - 280 - 40));  // photo, panel, gaps
      var tall = width < 700 ? Infinity : 520;      // a tall photo's grid leaves room for the panel beside it
      var side = Math.max(8, Math.min(cells.tile[0], Math.floor(room / layer.cols), Math.floor(tall / layer.rows)));
      if (side === this.side) return;
      this.side = side;
      var scale = side / cells.tile[0];
      this.grid.style.gridTemplateColumns = "repeat(" + layer.cols + ", " + side + "px)";
      this.cellEls.forEach(function (el, i) {
        el.style.width = el.style.height = side + "px";
        if (!el.style.backgroundImage) return;
        el.style.backgroundSize = (cells.width * scale) + "px " + (cells.height * scale) + "px";
        el.style.backgroundPosition = (-(i % cells.columns) * side) + "px " + (-Math.floor(i / cells.columns) * side) + "px";
      });
    }

    applyFade() {           // full strength unless the reader asks to see the activation's magnitude
      var fade = this.fadeBox && this.fadeBox.checked;
      (this.cellEls || []).forEach(function (el) { el.style.opacity = fade ? el.getAttribute("data-strength") : "1"; });
    }

    select(cell) {
      if (cell === this.cell) return;
      var layer = this.layer;
      if (this.cell >= 0) this.cellEls[this.cell].classList.remove("is-selected");
      this.cell = cell;
      this.cellEls[cell].classList.add("is-selected");
      var x = cell % layer.cols, y = Math.floor(cell / layer.cols);
      this.mark.style.left = (100 * x / layer.cols) + "%";
      this.mark.style.top = (100 * y / layer.rows) + "%";
      this.mark.style.width = (100 / layer.cols) + "%";
      this.mark.style.height = (100 / layer.rows) + "%";
      var map = this.map;
      function onChannel(channel) { window.VellumDictionary.showMap(map, layer, channel); }
      onChannel(null);
      window.VellumDictionary.render(this.panel, layer, cell, onChannel);
      if (layer.positions && window.VellumPosition) this.panel.appendChild(window.VellumPosition.render(layer, cell, onChannel, function (g) {
        if (g === null) window.VellumDictionary.showMap(map, layer, null);
        else window.VellumDictionary.showValues(map, layer, layer.positions.groups.maps[g], "group " + (g + 1));
      }));
    }
  }

  function define() {
    if (!customElements.get("vellum-activation-grid")) customElements.define("vellum-activation-grid", ActivationGrid);
  }
  // semantic-dictionary.js is emitted first; wait for the document in case it ran later.
  if (window.VellumDictionary) define();
  else document.addEventListener("DOMContentLoaded", define);
})();
