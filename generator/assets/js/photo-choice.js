// <vellum-photo-choice>: a figure the reader picks the photo of (`images:` in its spec). The
// thumbnails are a radio group (click, or the arrow keys, Home and End once one has focus);
// the first photo's views are in `.pc-view`, every other photo's in a `<template>` that
// nothing loads until it is picked. Picking one puts its views in place of the shown ones
// (kept, so coming back keeps their state) and tells the page's components that new
// content arrived (the `vellum:content` event, {root}), so those that start on page load
// (charts, attribution maps, neuron groups) start on it too; custom elements start by
// themselves.
(function () {
  "use strict";

  class PhotoChoice extends HTMLElement {
    connectedCallback() {
      if (this._started) return;
      this._started = true;
      var self = this;
      this.buttons = Array.prototype.slice.call(this.querySelectorAll(".pc-thumb"));
      this.views = [this.querySelector(".pc-view")];
      this.shown = 0;
      this.buttons.forEach(function (button, n) {
        button.addEventListener("click", function () { self.pick(n); });
        button.addEventListener("keydown", function (event) {
          var last = self.buttons.length - 1;
          var to = { ArrowRight: n + 1, ArrowDown: n + 1, ArrowLeft: n - 1, ArrowUp: n - 1, Home: 0, End: last }[event.key];
          if (to === undefined) return;
          event.preventDefault();
          to = (to + self.buttons.length) % self.buttons.length;
          self.pick(to);
          self.buttons[to].focus();
        });
      });
    }

    view(n) {
      if (this.views[n]) return this.views[n];
      var template = this.querySelector('template.pc-template[data-choice="' + n + '"]');
      var view = document.createElement("div");
      view.className = "pc-view";
      view.dataset.choice = String(n);
      view.appendChild(template.content.cloneNode(true));
      this.views[n] = view;
      view.fresh = true;
      return view;
    }

    pick(n) {
      if (n === this.shown) return;
      var old = this.views[this.shown], next = this.view(n);
      var height = old.offsetHeight;
      next.style.minHeight = height + "px";          // the page does not jump while it draws
      old.replaceWith(next);
      this.shown = n;
      this.buttons.forEach(function (button, i) {
        button.setAttribute("aria-checked", i === n ? "true" : "false");
        button.tabIndex = i === n ? 0 : -1;
      });
      if (next.fresh) {
        next.fresh = false;
        document.dispatchEvent(new CustomEvent("vellum:content", { detail: { root: next } }));
      }
      setTimeout(function () { next.style.minHeight = ""; }, 1500);
      this.dispatchEvent(new CustomEvent("vellum:photo", { bubbles: true, detail: { choice: n } }));
    }
  }

  if (!customElements.get("vellum-photo-choice")) customElements.define("vellum-photo-choice", PhotoChoice);
})();
