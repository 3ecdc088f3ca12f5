// <vellum-activation-atlas>: a map of a layer's activations, each grid cell the feature
// visualization of the mean activation that falls in it. The reader pans (drag, two fingers,
// arrow keys) and zooms (the buttons, Ctrl or Cmd with the wheel, a pinch, double click,
// + and -, 0 resets); past each doubling of the zoom the next, finer grid replaces the
// coarser one. The cell under the pointer (or, from the keyboard, under the centre mark) is
// outlined and described beside the map: how many activations it holds, the classes its mean
// activation drives the network toward, and the photos whose activations lie nearest its mean.
// One finger and the plain wheel scroll the page. The server-drawn coarsest level is the
// static picture without script and in print. Loads its data script with figure-data.js.
(function () {
  "use strict";
  var MAX_ZOOM = 8, STEP = 1.5;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  class ActivationAtlas extends HTMLElement {
    connectedCallback() {
      if (this._started || !window.VellumFigureData) return;
      this._started = true;
      this.layout();
      window.VellumFigureData.elementNear(this, function (node, data) { node.build(data); });
    }

    // What the data does not change, drawn as the element connects: the zoom controls, the map
    // (its static picture for now) and the panel beside it, so the figure takes its final
    // height before the reader gets to it.
    layout() {
      var self = this;
      this.view = this.querySelector(".aa-view");
      var bar = element("div", "aa-controls");
      bar.setAttribute("role", "group");
      bar.setAttribute("aria-label", "Zoom");
      this.buttons = [["+", "Zoom in", function () { self.zoomBy(STEP); }],
       ["\u2212", "Zoom out", function () { self.zoomBy(1 / STEP); }],
       ["Reset", "Reset the zoom: the whole atlas", function () { self.reset(); }]].map(function (spec) {
        var button = element("button", "", spec[0]);
        button.type = "button";
        button.title = spec[1];
        button.setAttribute("aria-label", spec[1]);
        button.addEventListener("click", function () {   // before the data is there: once it is
          if (self.data) spec[2](); else self.pending = spec[2];
        });
        bar.appendChild(button);
        return button;
      });
      this.levelLabel = element("span", "aa-level-label", "\u2009");
      this.levelLabel.setAttribute("aria-live", "polite");
      bar.appendChild(this.levelLabel);
      this.panel = element("div", "aa-panel");
      this.panel.setAttribute("aria-live", "polite");
      this.hint = element("p", "aa-hint", "Point at a cell to see its photos and classes. Drag to pan; " +
        "zoom with the buttons, Ctrl + wheel or a pinch.");
      this.panel.appendChild(this.hint);
      this.view.tabIndex = 0;                         // in the tab order from the start
      this.view.setAttribute("aria-label", "Activation atlas (loading)");
      var body = element("div", "aa-body");
      this.view.parentNode.insertBefore(body, this.view);
      var left = element("div", "aa-map");
      left.appendChild(bar);
      left.appendChild(this.view);
      body.appendChild(left);
      body.appendChild(this.panel);
    }

    build(data) {
      var self = this;
      this.data = data;
      this.zoom = 1; this.x = 0; this.y = 0;
      this.cellIndex = data.levels.map(function (level) {
        var map = new Map();
        level.cells.forEach(function (cell, i) { map.set(cell[0] * level.grid + cell[1], i); });
        return map;
      });
      var still = this.view.querySelector(".aa-static");
      this.plane = element("div", "aa-plane");
      this.images = data.levels.map(function (level, n) {
        var img = n === 0 && still ? still : element("img", "aa-level");
        img.alt = "";
        img.setAttribute("data-grid", String(level.grid));
        img.width = level.side; img.height = level.side;
        img.decoding = "async";
        if (n > 0) img.hidden = true;
        self.plane.appendChild(img);
        return img;
      });
      this.images[0].classList.add("aa-level");
      this.images[0].loading = "eager";
      this.mark = element("div", "aa-mark");
      this.mark.hidden = true;
      this.plane.appendChild(this.mark);
      this.view.appendChild(this.plane);
      this.centre = element("div", "aa-centre");
      this.centre.hidden = true;
      this.view.appendChild(this.centre);
      this.view.setAttribute("role", "application");
      this.view.setAttribute("aria-roledescription", "zoomable map");
      this.view.setAttribute("aria-label", "Activation atlas of " + data.layer + ". Arrow keys pan, plus and minus zoom, 0 resets.");
      this.classList.add("is-drawn");
      this.listen();
      this.apply();
      if (this.pending) { var asked = this.pending; this.pending = null; asked(); }
    }

    listen() {
      var self = this, view = this.view, pointers = new Map(), pinch = null, moved = false;
      view.addEventListener("pointerdown", function (event) {
        pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
        moved = false;
        if (event.pointerType === "mouse" || pointers.size === 2) view.setPointerCapture(event.pointerId);
        if (pointers.size === 2) {
          var p = Array.from(pointers.values());
          pinch = { distance: Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y), zoom: self.zoom };
        }
      });
      view.addEventListener("pointermove", function (event) {
        var last = pointers.get(event.pointerId);
        if (!last) { self.hover(event.clientX, event.clientY); return; }
        if (pointers.size === 2 && pinch) {
          pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
          var p = Array.from(pointers.values());
          var mid = { x: (p[0].x + p[1].x) / 2, y: (p[0].y + p[1].y) / 2 };
          self.zoomTo(pinch.zoom * Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y) / pinch.distance, mid.x, mid.y);
          return;
        }
        if (event.pointerType !== "mouse") return;         // one finger scrolls the page
        var dx = event.clientX - last.x, dy = event.clientY - last.y;
        if (Math.abs(dx) + Math.abs(dy) > 2) moved = true;
        pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
        self.panBy(dx, dy);
      });
      function release(event) {
        pointers.delete(event.pointerId);
        if (pointers.size < 2) pinch = null;
        if (!moved && event.type === "pointerup") self.hover(event.clientX, event.clientY);
      }
      view.addEventListener("pointerup", release);
      view.addEventListener("pointercancel", release);
      view.addEventListener("pointerleave", function (event) {    // a tapped cell stays marked
        if (event.pointerType === "mouse" && !pointers.size) self.mark.hidden = true;
      });
      view.addEventListener("wheel", function (event) {
        if (!event.ctrlKey && !event.metaKey) return;      // the plain wheel scrolls the page
        event.preventDefault();
        self.zoomTo(self.zoom * (event.deltaY < 0 ? 1.25 : 0.8), event.clientX, event.clientY);
      }, { passive: false });
      view.addEventListener("dblclick", function (event) {
        event.preventDefault();
        self.zoomTo(self.zoom * 2, event.clientX, event.clientY);
      });
      view.addEventListener("keydown", function (event) {
        var step = view.clientWidth / 8, key = event.key;
        if (key === "ArrowLeft") self.panBy(step, 0);
        else if (key === "ArrowRight") self.panBy(-step, 0);
        else if (key === "ArrowUp") self.panBy(0, step);
        else if (key === "ArrowDown") self.panBy(0, -step);
        else if (key === "+" || key === "=") self.zoomBy(STEP);
        else if (key === "-" || key === "_") self.zoomBy(1 / STEP);
        else if (key === "0") self.reset();
        else return;
        event.preventDefault();
        self.centre.hidden = false;
        self.describeCentre();
      });
      view.addEventListener("focus", function () {      // from the keyboard, not from a tap or a click
        if (view.matches && !view.matches(":focus-visible")) return;
        self.centre.hidden = false;
        self.describeCentre();
      });
      view.addEventListener("blur", function () { self.centre.hidden = true; });
    }

    size() { return this.view.clientWidth || 1; }

    zoomBy(factor) {
      var rect = this.view.getBoundingClientRect();
      this.zoomTo(this.zoom * factor, rect.left + rect.width / 2, rect.top + rect.height / 2);
    }

    zoomTo(zoom, clientX, clientY) {
      var rect = this.view.getBoundingClientRect();
      zoom = Math.min(MAX_ZOOM, Math.max(1, zoom));
      var px = clientX - rect.left, py = clientY - rect.top;
      this.x = px - (px - this.x) * zoom / this.zoom;       // the point under the pointer stays put
      this.y = py - (py - this.y) * zoom / this.zoom;
      this.zoom = zoom;
      this.apply();
      if (!this.centre.hidden) this.describeCentre();
    }

    panBy(dx, dy) { this.x += dx; this.y += dy; this.apply(); }

    reset() { this.zoom = 1; this.x = 0; this.y = 0; this.apply(); if (!this.centre.hidden) this.describeCentre(); }

    level() {
      var levels = this.data.levels, first = levels[0].grid, chosen = 0;
      levels.forEach(function (level, n) { if (level.grid / first <= this.zoom + 1e-9) chosen = n; }, this);
      return chosen;
    }

    apply() {
      var side = this.size(), span = side * this.zoom;
      this.x = Math.min(0, Math.max(side - span, this.x));
      this.y = Math.min(0, Math.max(side - span, this.y));
      this.plane.style.transform = "translate(" + this.x + "px," + this.y + "px) scale(" + this.zoom + ")";
      var shown = this.level();
      if (shown !== this.shown) {
        this.shown = shown;
        var data = this.data;
        this.images.forEach(function (img, n) {
          if (n === shown && !img.getAttribute("src")) img.src = data.levels[n].src;
          img.hidden = n !== shown;
        });
        var grid = data.levels[shown].grid;
        this.levelLabel.textContent = grid + " \u00d7 " + grid + " grid, " + data.levels[shown].cells.length + " cells";
        this.setAttribute("data-level", String(shown));
        this.mark.hidden = true;
        this.current = -1;                            // the panel told of a cell of the other grid
        this.panel.replaceChildren(this.hint);
      }
      this.setAttribute("data-zoom", this.zoom.toFixed(2));
    }

    cellAt(clientX, clientY) {
      var rect = this.view.getBoundingClientRect(), side = this.size();
      var level = this.data.levels[this.shown], grid = level.grid;
      var u = (clientX - rect.left - this.x) / (side * this.zoom), v = (clientY - rect.top - this.y) / (side * this.zoom);
      if (u < 0 || u >= 1 || v < 0 || v >= 1) return -1;
      var found = this.cellIndex[this.shown].get(Math.floor(v * grid) * grid + Math.floor(u * grid));
      return found === undefined ? -1 : found;
    }

    hover(clientX, clientY) { this.show(this.cellAt(clientX, clientY)); }

    describeCentre() {
      var rect = this.view.getBoundingClientRect();
      this.show(this.cellAt(rect.left + rect.width / 2, rect.top + rect.height / 2));
    }

    show(index) {
      var level = this.data.levels[this.shown], grid = level.grid;
      if (index < 0) { this.mark.hidden = true; return; }
      if (index === this.current && this.currentLevel === this.shown && !this.mark.hidden) return;
      this.current = index; this.currentLevel = this.shown;
      var cell = level.cells[index];
      var share = 100 / grid;
      this.mark.hidden = false;
      this.mark.style.left = cell[1] * share + "%";
      this.mark.style.top = cell[0] * share + "%";
      this.mark.style.width = this.mark.style.height = share + "%";
      this.setAttribute("data-cell", grid + ":" + cell[0] + "," + cell[1]);
      this.describe(cell);
    }

    describe(cell) {
      var data = this.data, photos = data.photos, panel = this.panel;
      panel.textContent = "";
      panel.appendChild(element("p", "aa-count", cell[2] + (cell[2] === 1 ? " activation" : " activations") +
        " in this cell (row " + cell[0] + ", column " + cell[1] + ")"));
      var classes = element("ol", "aa-classes");
      classes.setAttribute("aria-label", "Classes its mean activation drives the network toward");
      cell[3].forEach(function (c) {
        var item = element("li");
        item.appendChild(element("span", "aa-class", c[0]));
        item.appendChild(element("span", "aa-p", (c[2] * 100).toFixed(1) + "%"));
        classes.appendChild(item);
      });
      panel.appendChild(classes);
      if (data["class"] && cell[6] !== null && cell[6] !== undefined) {
        panel.appendChild(element("p", "aa-target", data["class"] + ": " + (cell[6] * 100).toFixed(1) + "%"));
      }
      var list = element("ul", "aa-photos");
      list.setAttribute("aria-label", "Photos whose activations lie nearest its mean");
      cell[4].forEach(function (tile, n) {
        var side = photos.tile[0], x = (tile % photos.columns) * side, y = Math.floor(tile / photos.columns) * side;
        var item = element("li"), crop = element("span", "aa-crop"), img = element("img");
        item.title = cell[5][n];
        crop.style.width = crop.style.height = side + "px";
        img.src = photos.src;
        img.alt = cell[5][n];
        img.width = photos.width; img.height = photos.height;
        img.style.margin = -y + "px 0 0 " + -x + "px";
        crop.appendChild(img);
        item.appendChild(crop);
        list.appendChild(item);
      });
      panel.appendChild(list);
    }
  }

  if (!customElements.get("vellum-activation-atlas")) customElements.define("vellum-activation-atlas", ActivationAtlas);
})();
