// What one position of a layer does, for the panels of the activation grid and the
// attribution maps: its attribution to one or two classes (magenta supports, green opposes),
// the channels there that push toward one class rather than the other (or toward and against
// one class), each with its icon and a link to its unit, and its share of the layer's neuron
// groups. Pointing at a channel or a group calls `onChannel(c)` or `onGroup(g)` (null after),
// so the figure can show where it is. Data: a layer's `positions` (generator/figures/
// activation_grid.py: run_positions) and `icons`, `units`. Numbers share one precision and a
// true minus (figure-data.js). Defines window.VellumPosition.render(layer, cell, onChannel,
// onGroup) -> element. The panel is as tall for every position (single-line titles, lists as
// tall as their icons), so pointing at another position never moves the page.
(function () {
  "use strict";

  function element(tag, className, content) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (content !== undefined) el.textContent = content;
    return el;
  }

  function hoverable(el, on, off) {
    el.tabIndex = 0;
    el.addEventListener("mouseenter", on);
    el.addEventListener("focus", on);
    el.addEventListener("mouseleave", off);
    el.addEventListener("blur", off);
  }

  // A channel's icon from the layer's sprite, `side` pixels.
  function icon(layer, channel, side) {
    var icons = layer.icons, i = icons.channels.indexOf(channel), k = side / icons.tile[0];
    var span = element("span", "sd-icon");
    span.style.width = span.style.height = side + "px";
    span.style.backgroundImage = "url(\"" + icons.src + "\")";
    span.style.backgroundSize = (icons.width * k) + "px " + (icons.height * k) + "px";
    span.style.backgroundPosition = (-(i % icons.columns) * side) + "px " + (-Math.floor(i / icons.columns) * side) + "px";
    return span;
  }

  // What position `cell` does: its attribution to classes A and B, the channels pushing
  // toward each, and its share of each neuron group. With `cell` < 0, the panel at its final
  // size with nothing in it, drawn before the data loads: `layer` then needs only `labels`
  // (the classes) and `colours` (the groups').
  function render(layer, cell, onChannel, onGroup) {
    var empty = cell < 0, P = empty ? null : layer.positions, F = window.VellumFigureData;
    var box = element("div", "pos-does"), labels = empty ? layer.labels : P.labels;
    if (P && !P.places) {
      var all = [];
      P.attribution.forEach(function (row) { all = all.concat(row); });
      P.places = F.decimals(all);
      P.peak = Math.max.apply(null, all.map(Math.abs)) || 1;
    }
    box.appendChild(element("p", "pos-does-title", "What it does"));
    var bars = element("ul", "pos-attribution");
    labels.forEach(function (name, t) {
      var li = element("li"), track = element("span", "pos-track");
      var label = element("span", "pos-class", name);
      label.title = name;                        // a long class name is cut short: its whole name on hover
      li.appendChild(label);
      li.appendChild(track);
      bars.appendChild(li);
      if (empty) { li.appendChild(element("span", "pos-number", "\u2009")); return; }
      var v = P.attribution[t][cell], bar = element("span", v >= 0 ? "pos-bar is-for" : "pos-bar is-against");
      bar.style.width = (50 * Math.abs(v) / P.peak) + "%";
      bar.style[v >= 0 ? "left" : "right"] = "50%";
      track.appendChild(bar);
      li.appendChild(element("span", "pos-number", F.number(v, P.places, true)));
    });
    box.appendChild(bars);
    var titles = labels.length === 2
      ? ["Toward " + labels[0] + " rather than " + labels[1], "Toward " + labels[1] + " rather than " + labels[0]]
      : ["Toward " + labels[0], "Against " + labels[0]];
    [0, 1].forEach(function (side) {      // both lists, each as tall as its icons, empty or not
      var pairs = empty ? [] : P.pushing[cell][side], title = element("p", "pos-push-title", titles[side]);
      title.title = titles[side];
      box.appendChild(title);
      var list = element("ol", "pos-push");
      pairs.forEach(function (pair) {
        var li = element("li", "pos-push-item");
        li.appendChild(icon(layer, pair[0], 40));
        var name = element(layer.units ? "a" : "span", "pos-push-name", "ch " + pair[0]);
        if (layer.units) name.href = layer.units + pair[0] + "/index.html";
        li.appendChild(name);
        li.appendChild(element("span", "pos-number", F.number(pair[1], P.places, true)));
        li.setAttribute("aria-label", "channel " + pair[0] + ", " + F.number(pair[1], P.places, true) + ": " + titles[side]);
        hoverable(li, function () { onChannel(pair[0]); }, function () { onChannel(null); });
        list.appendChild(li);
      });
      box.appendChild(list);
    });
    var groups = empty ? layer.colours.length : (P.groups ? P.groups.share[cell].length : 0);
    if (groups) {
      var share = empty ? new Array(groups).fill(null) : P.groups.share[cell], colours = empty ? layer.colours : P.colours;
      box.appendChild(element("p", "pos-push-title", "Its share of the layer's " + groups + " neuron groups"));
      var strip = element("div", "pos-groups");
      box.appendChild(strip);
      var legend = element("p", "pos-group-legend");
      share.forEach(function (s, g) {
        var item = element("span", "pos-group-key"), swatch = element("span", "pos-swatch");
        swatch.style.background = colours[g];
        item.appendChild(swatch);
        item.appendChild(document.createTextNode((g + 1) + ": " + (s === null ? "\u2009" : Math.round(100 * s) + "%")));
        legend.appendChild(item);
        if (s === null) return;
        var part = element("button", "pos-group");
        part.type = "button";
        part.style.flexGrow = String(Math.max(s, 0.0001));
        part.style.background = colours[g];
        part.title = "group " + (g + 1) + ": " + Math.round(100 * s) + "%";
        part.setAttribute("aria-label", part.title + " (shows where the group is)");
        part.dataset.group = String(g);
        hoverable(part, function () { onGroup(g); }, function () { onGroup(null); });
        if (Math.round(100 * s) === 0) { part.tabIndex = -1; }   // a sliver: the legend says 0%
        strip.appendChild(part);
      });
      box.appendChild(legend);
    }
    return box;
  }

  window.VellumPosition = { render: render };
})();
