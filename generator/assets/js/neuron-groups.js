// <vellum-neuron-groups data-src="data/fig-x.<hash>.js" data-key="fig-x">: the
// `neuron-groups` figure. Its data script (window.VELLUM_DATA[key], loaded when the figure
// nears the viewport) holds, per layer, each group's map (quantized) and attribution to
// classes, the group icons' sprite, and for two layers the group -> group attribution.
//
// The image shows every group at once (each position in the colour of its strongest group);
// hovering or focusing a group card (arrow keys move between cards) shows that group's map
// alone and highlights its rows in the attribution tables, whose cells are coloured blue
// (negative) to orange (positive), colour-blind safe.
(function () {
  "use strict";
  var POS = [197, 27, 125], NEG = [77, 146, 33];

  // White or near-black text, whichever contrasts more with the background (WCAG luminance).
  function readableOn(rgb) {
    var l = rgb.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    var lum = 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
    return 1.05 / (lum + 0.05) > (lum + 0.05) / 0.0611 ? "#fff" : "#1b1b1b";
  }

  // Quantized arrays are decoded by figure-data.js (loaded before this file).
  function decode(enc) { return window.VellumFigureData.decode(enc); }
  function rgb(hex) { return [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); }); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function build(root, data) {
    root.textContent = "";
    root.classList.add("is-drawn");
    var n = data.groups, colours = data.colours.map(rgb);
    var layers = data.layers.map(function (layer) {
      var maps = decode(layer.maps), size = layer.width * layer.height, peaks = [];
      for (var g = 0; g < n; g++) {
        var m = 0;
        for (var i = 0; i < size; i++) m = Math.max(m, maps[g * size + i]);
        peaks.push(m || 1);
      }
      return { info: layer, maps: maps, size: size, peaks: peaks, toClasses: decode(layer.to_classes), rows: [] };
    });
    var main = el("div", "ng-main"), stage = el("div", "ng-stage"), side = el("div", "ng-side");
    var img = el("img");
    img.loading = "lazy";
    if (data.image_srcset) img.srcset = data.image_srcset;   // twice the pixels for dense screens
    img.src = data.image;
    img.alt = "";
    img.width = data.photo.width;
    img.height = data.photo.height;
    var canvas = el("canvas");
    stage.appendChild(img);
    stage.appendChild(canvas);
    main.appendChild(stage);
    main.appendChild(side);
    var readout = el("p", "ng-readout");
    readout.setAttribute("aria-live", "polite");
    root.appendChild(main);
    root.appendChild(readout);

    var ctx = canvas.getContext("2d"), cards = [];
    function paint(l, only) { // layer l: one group's map, or every group (only < 0)
      var L = layers[l], w = L.info.width, h = L.info.height;
      canvas.width = w; canvas.height = h;
      var pixels = ctx.createImageData(w, h), d = pixels.data;
      for (var i = 0; i < L.size; i++) {
        var best = only, strength = 0;
        for (var g = 0; g < n; g++) {
          if (only >= 0 && g !== only) continue;
          var t = L.maps[g * L.size + i] / L.peaks[g];
          if (t > strength) { strength = t; best = g; }
        }
        var c = colours[Math.max(best, 0)];
        d[4 * i] = c[0]; d[4 * i + 1] = c[1]; d[4 * i + 2] = c[2];
        d[4 * i + 3] = Math.round(Math.min(1, strength) * (only >= 0 ? 230 : 190));
      }
      ctx.putImageData(pixels, 0, 0);
    }
    function focus(l, g) {
      paint(l < 0 ? layers.length - 1 : l, g);
      cards.forEach(function (card) {
        card.classList.toggle("is-active", Number(card.dataset.layer) === l && Number(card.dataset.group) === g);
      });
      layers.forEach(function (L, k) {
        L.rows.forEach(function (row) { row.classList.toggle("is-active", k === l && Number(row.dataset.group) === g); });
      });
      readout.textContent = l < 0 ? "Each position in the colour of its strongest group of " + layers[layers.length - 1].info.name + "." :
        "Group " + (g + 1) + " of " + layers[l].info.name + ": where it is present in the image.";
    }

    // Pointing at the map focuses the group strongest there (its map, card and table row).
    function point(event) {
      var l = layers.length - 1, L = layers[l], box = stage.getBoundingClientRect();
      var x = Math.min(L.info.width - 1, Math.max(0, Math.floor((event.clientX - box.left) / box.width * L.info.width)));
      var y = Math.min(L.info.height - 1, Math.max(0, Math.floor((event.clientY - box.top) / box.height * L.info.height)));
      var best = -1, strength = 0;
      for (var g = 0; g < n; g++) {
        var t = L.maps[g * L.size + y * L.info.width + x] / L.peaks[g];
        if (t > strength) { strength = t; best = g; }
      }
      if (String(best) !== stage.dataset.group) { stage.dataset.group = String(best); focus(best < 0 ? -1 : l, best); }
    }
    stage.addEventListener("mousemove", point);
    stage.addEventListener("pointerdown", point);      // a tap points too
    stage.addEventListener("mouseleave", function () { stage.dataset.group = ""; focus(-1, -1); });

    var columns = data.icons.columns, tile = data.icons.tile[0], k = 64 / tile;
    layers.forEach(function (L, l) {
      side.appendChild(el("p", "ng-title", L.info.name + " — " + n + " groups"));
      var list = el("ol", "ng-cards");
      for (var g = 0; g < n; g++) {
        var t = l * n + g, card = el("li", "ng-card");
        card.tabIndex = 0;
        card.dataset.layer = l;
        card.dataset.group = g;
        card.setAttribute("aria-label", "group " + (g + 1) + " of " + L.info.name);
        var icon = el("span", "ng-icon");
        icon.style.backgroundImage = "url(" + data.icons.src + ")";
        icon.style.backgroundSize = data.icons.width * k + "px " + data.icons.height * k + "px";
        icon.style.backgroundPosition = -(t % columns) * tile * k + "px " + -Math.floor(t / columns) * tile * k + "px";
        icon.style.borderColor = data.colours[g];
        card.appendChild(icon);
        card.appendChild(el("span", "", "group " + (g + 1)));
        list.appendChild(card);
        cards.push(card);
      }
      side.appendChild(list);
    });
    layers.forEach(function (L, l) {
      side.appendChild(el("p", "ng-title", "Attribution of " + L.info.name + " groups to classes"));
      side.appendChild(table(L.toClasses, data.classes.map(function (c) { return c.label; }), l, L.rows));
    });
    if (data.between) {
      var b = layers[1].info.name, heads = [];
      for (var j = 0; j < n; j++) heads.push(b + " group " + (j + 1));
      side.appendChild(el("p", "ng-title", "Attribution of " + layers[0].info.name + " groups to " + b + " groups"));
      side.appendChild(table(decode(data.between), heads, 0, layers[0].rows, data.colours));
    }
    function table(values, heads, l, rows, headColours) {
      var tab = el("table", "ng-table"), head = el("tr"), m = 0, i;
      for (i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
      m = m || 1;
      var places = window.VellumFigureData.decimals(values);     // one precision in a table
      head.appendChild(el("th", "", ""));
      heads.forEach(function (h, j) {
        var th = el("th", "", headColours ? "G" + (j + 1) : h);
        th.title = h;
        if (headColours) th.style.borderBottom = "4px solid " + headColours[j];
        head.appendChild(th);
      });
      tab.appendChild(head);
      for (var g = 0; g < n; g++) {
        var tr = el("tr"), th = el("th"), sw = el("span", "ng-swatch");
        tr.dataset.group = g;
        sw.style.background = data.colours[g];
        th.appendChild(sw);
        th.appendChild(document.createTextNode("group " + (g + 1)));
        tr.appendChild(th);
        for (var j = 0; j < heads.length; j++) {
          var v = values[g * heads.length + j], t = Math.abs(v) / m, c = v >= 0 ? POS : NEG;
          var td = el("td", "", window.VellumFigureData.number(v, places, true));
          // At most 75% of the full colour: dark text stays above 4.5:1 contrast on every cell.
          var bg = c.map(function (x) { return Math.round(255 + (x - 255) * t * 0.75); });
          td.style.background = "rgb(" + bg.join(",") + ")";
          td.style.color = readableOn(bg);
          tr.appendChild(td);
        }
        tr.addEventListener("mouseenter", focus.bind(null, l, g));
        tr.addEventListener("mouseleave", focus.bind(null, -1, -1));
        rows.push(tr);
        tab.appendChild(tr);
      }
      var scroll = el("div", "ng-scroll");
      scroll.appendChild(tab);
      return scroll;
    }
    cards.forEach(function (card, i) {
      var l = Number(card.dataset.layer), g = Number(card.dataset.group);
      card.addEventListener("mouseenter", function () { focus(l, g); });
      card.addEventListener("focus", function () { focus(l, g); });
      card.addEventListener("mouseleave", function () { focus(-1, -1); });
      card.addEventListener("blur", function () { focus(-1, -1); });
      card.addEventListener("keydown", function (e) {
        var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
        if (!step) return;
        e.preventDefault();
        if (cards[i + step]) cards[i + step].focus();
      });
    });
    focus(-1, -1);
  }

  window.VellumFigureData.whenNear("vellum-neuron-groups[data-src]", build);
})();
