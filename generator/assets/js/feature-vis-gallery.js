// <vellum-feature-vis>: a gallery of feature visualizations (plain HTML tiles cut from one
// sprite, readable without script). Hover or focus a tile to see its unit, its objective and,
// when the figure has them, its diversity images; arrow keys move between tiles.
// The figure's data is inline JSON (<script type="application/json" class="fv-data">).
(function () {
  "use strict";

  class FeatureVisGallery extends HTMLElement {
    connectedCallback() {
      if (this._started) return;
      var script = this.querySelector("script.fv-data");
      if (!script) return;
      this._started = true;
      var self = this;
      this.data = JSON.parse(script.textContent);
      this.tiles = Array.prototype.slice.call(this.querySelectorAll(".fv-unit"));
      this.card = document.createElement("div");
      this.card.className = "fv-card";
      this.card.hidden = true;
      this.card.setAttribute("role", "status");
      this.card.setAttribute("aria-live", "polite");
      this.appendChild(this.card);
      this.tiles.forEach(function (tile, i) {
        tile.addEventListener("mouseenter", function () { self.show(i); });
        tile.addEventListener("focus", function () { self.show(i); });
        tile.addEventListener("mouseleave", function () { if (document.activeElement !== tile) self.hide(); });
        tile.addEventListener("blur", function () { self.hide(); });
      });
      this.addEventListener("keydown", function (event) { self.key(event); });
    }

    show(i) {
      var data = this.data, tile = this.tiles[i], card = this.card;
      var unit = data.units.length ? data.layer + ":" + data.units[i] : "objective";
      this.tiles.forEach(function (t, j) { t.classList.toggle("is-active", j === i); });
      card.textContent = "";
      var title = document.createElement("strong");
      title.textContent = unit;
      var objective = document.createElement("code");
      objective.textContent = data.objectives[i];
      card.appendChild(title);
      card.appendChild(document.createElement("br"));
      card.appendChild(objective);
      if (data.diversity) card.appendChild(this.diversity(i));
      card.hidden = false;
      card.style.left = Math.max(0, Math.min(tile.offsetLeft, this.clientWidth - card.offsetWidth)) + "px";
      card.style.top = (tile.offsetTop + tile.offsetHeight + 4) + "px";
    }

    diversity(i) {
      var d = this.data.diversity, index = d.index, tile = index.tile[0];
      var side = Math.min(tile, 80), k = side / tile;
      var row = document.createElement("div");
      row.className = "fv-div";
      row.setAttribute("aria-label", d.per + " diverse images of this unit");
      for (var j = 0; j < d.per; j++) {
        var n = i * d.per + j;
        var span = document.createElement("span");
        span.style.width = span.style.height = side + "px";
        span.style.backgroundImage = "url(\"" + d.src + "\")";
        span.style.backgroundSize = (index.width * k) + "px " + (index.height * k) + "px";
        span.style.backgroundPosition = (-(n % index.columns) * side) + "px " + (-Math.floor(n / index.columns) * side) + "px";
        row.appendChild(span);
      }
      return row;
    }

    hide() {
      this.card.hidden = true;
      this.tiles.forEach(function (t) { t.classList.remove("is-active"); });
    }

    key(event) {
      var i = this.tiles.indexOf(document.activeElement);
      if (i < 0) return;
      var perRow = this.tiles.filter(function (t) { return t.offsetTop === this.tiles[0].offsetTop; }, this).length;
      var next = { ArrowLeft: i - 1, ArrowRight: i + 1, ArrowUp: i - perRow, ArrowDown: i + perRow,
                   Home: 0, End: this.tiles.length - 1 }[event.key];
      if (next === undefined) { if (event.key === "Escape") this.hide(); return; }
      event.preventDefault();
      this.tiles[Math.max(0, Math.min(this.tiles.length - 1, next))].focus();
    }
  }

  if (!customElements.get("vellum-feature-vis")) customElements.define("vellum-feature-vis", FeatureVisGallery);
})();
