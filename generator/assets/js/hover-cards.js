/* Hover cards: a preview of what a citation, a footnote reference or a cross-reference points
   to, shown on hover and on keyboard focus. The card's content is cloned from the page, so it
   works offline and from file:// (a classic script; no fetch, no modules).

   Triggers (markup written by the Markdown extensions):
     <span class="citation" data-cites="a b"><a href="#ref-a">1</a>, <a href="#ref-b">2</a></span>
         -> the reference list entries #ref-a, #ref-b
     <sup class="footnote-ref"><a href="#fn-x">1</a></sup>, or Python-Markdown's
     <sup id="fnref:x"><a class="footnote-ref" href="#fn:x">1</a></sup>
         -> the footnote's list item, without its back link
     <a class="xref" href="#fig-x">Figure 2</a>
         -> a figure's preview image ([data-card-preview], else its first img or svg) and caption;
            an equation; a heading and the first paragraph after it; or the element itself.
     <a class="unit-ref" href="../units/.../9/index.html" data-card="unit-card-...">blocks.10:9</a>
         -> the unit's card, a <template> the build writes into the page (its feature
            visualization, diversity images, classes and strongest photos). A click on the
            reference keeps its card open (a second click opens the unit's page).
     <a href="../units/MODEL/LAYER/N/index.html"> in a figure (a dictionary entry, a channel's
     name) -> the same card, from the layer's cards.js (every unit's card of that layer,
     loaded the first time a reader points at one of its units), with the same clicks.

   One card element (role="tooltip") is reused; the trigger's links get aria-describedby while
   it shows. Escape closes it; the pointer may move onto the card without closing it. */
(function () {
  "use strict";

  var TRIGGERS = "span.citation[data-cites], sup.footnote-ref a, a.footnote-ref, a.xref, a.unit-ref[data-card], " +
                 ".vellum-figure a[href^='../units/']";
  var UNIT_LINK = "a.unit-ref[data-card], .vellum-figure a[href^='../units/']";
  var UNIT_HREF = /^\.\.\/units\/([^\/]+)\/([^\/]+)\/(\d+)\/index\.html$/;
  var FOOTNOTE = "sup.footnote-ref a, a.footnote-ref";
  var BACKLINKS = ".footnote-backref, a[href^='#fnref'], a.footnote-back";
  var CARD_ID = "vellum-hover-card";
  var SHOW_DELAY_MS = 100;
  var HIDE_DELAY_MS = 250;
  var MARGIN_PX = 8;
  var GAP_PX = 6;

  var card = null;
  var current = null;      // the trigger whose card is showing
  var dismissed = null;    // the trigger closed by Escape while the pointer is still on it
  var pinned = false;      // the card stays open (a click on a unit reference) until Escape or a click elsewhere
  var described = [];      // [element, previous aria-describedby] pairs to restore
  var showTimer = 0;
  var hideTimer = 0;

  function makeCard() {
    var el = document.createElement("div");
    el.id = CARD_ID;
    el.className = "hover-card";
    el.setAttribute("role", "tooltip");
    el.hidden = true;
    el.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    el.addEventListener("mouseleave", function () { scheduleHide(); });
    document.body.appendChild(el);
    return el;
  }

  function idFromHref(link) {
    var href = link.getAttribute("href") || "";
    if (href.charAt(0) !== "#") { return ""; }
    try { return decodeURIComponent(href.slice(1)); } catch (e) { return href.slice(1); }
  }

  /* A deep copy safe to insert: no duplicate ids, no stale ARIA links, no nested cards. */
  function cleanClone(node) {
    var copy = node.cloneNode(true);
    var all = [copy].concat(Array.prototype.slice.call(copy.querySelectorAll("*")));
    all.forEach(function (el) {
      el.removeAttribute("id");
      el.removeAttribute("aria-describedby");
      el.removeAttribute("aria-labelledby");
    });
    return copy;
  }

  function item(children) {
    var box = document.createElement("div");
    box.className = "hover-card-item";
    children.forEach(function (child) { if (child) { box.appendChild(child); } });
    return box;
  }

  function label(text) {
    var p = document.createElement("p");
    p.className = "hover-card-label";
    p.textContent = text;
    return p;
  }

  function contentsOf(el) {
    var wrap = document.createElement("div");
    Array.prototype.forEach.call(cleanClone(el).childNodes, function (n) { wrap.appendChild(n.cloneNode(true)); });
    return wrap;
  }

  function citationCard(trigger) {
    var keys = (trigger.getAttribute("data-cites") || "").split(/\s+/).filter(Boolean);
    var entries = keys.map(function (key) { return document.getElementById("ref-" + key); });
    if (!entries.some(Boolean)) {
      entries = Array.prototype.map.call(trigger.querySelectorAll("a[href^='#']"), function (a) {
        return document.getElementById(idFromHref(a));
      });
    }
    var items = entries.filter(Boolean).map(function (li) {
      var number = document.createElement("span");
      number.className = "hover-card-number";
      number.textContent = li.value ? "[" + li.value + "]" : "";
      var body = contentsOf(li);
      body.insertBefore(number, body.firstChild);
      return item([body]);
    });
    if (!items.length) { return null; }
    return [label(items.length > 1 ? "References" : "Reference")].concat(items);
  }

  function footnoteCard(link) {
    var target = document.getElementById(idFromHref(link));
    if (!target) { return null; }
    var body = contentsOf(target);
    Array.prototype.forEach.call(body.querySelectorAll(BACKLINKS), function (a) { a.remove(); });
    return [label("Footnote " + link.textContent.trim()), item([body])];
  }

  function nextParagraph(heading) {
    for (var el = heading.nextElementSibling; el; el = el.nextElementSibling) {
      if (/^H[1-6]$/.test(el.tagName)) { return null; }
      if (el.tagName === "P") { return el; }
    }
    return null;
  }

  function xrefCard(link) {
    var target = document.getElementById(idFromHref(link));
    if (!target) { return null; }
    if (target.tagName === "FIGURE") {
      var preview = target.querySelector("[data-card-preview]") || target.querySelector("img, svg");
      var caption = target.querySelector("figcaption");
      var parts = [preview && cleanClone(preview), caption && cleanClone(caption)];
      return parts.some(Boolean) ? [item(parts)] : [item([cleanClone(target)])];
    }
    if (/^H[1-6]$/.test(target.tagName)) {
      var paragraph = nextParagraph(target);
      return [item([cleanClone(target), paragraph && cleanClone(paragraph)])];
    }
    return [item([cleanClone(target)])];
  }

  /* The card's template id, and the layer's cards.js, of a link to a unit's page. */
  function unitOf(link) {
    var found = UNIT_HREF.exec(link.getAttribute("href") || "");
    var id = link.getAttribute("data-card");
    if (!found) { return { id: id, src: null }; }
    return { id: id || ("unit-card-" + found[1] + "-" + found[2] + "-" + found[3]).replace(/\./g, "-"),
             key: "units/" + found[1] + "/" + found[2], src: "../units/" + found[1] + "/" + found[2] + "/cards.js" };
  }

  var loading = {};      // cards.js URL -> true once asked for
  /* Loads a layer's cards (templates) into the page, then calls `done`. */
  function loadCards(unit, done) {
    if (loading[unit.src]) { return; }
    loading[unit.src] = true;
    var script = document.createElement("script");
    script.src = unit.src;
    script.onload = function () {
      var html = (window.VELLUM_UNIT_CARDS || {})[unit.key];
      if (!html) { return; }
      var holder = document.createElement("div");
      holder.hidden = true;
      holder.className = "unit-cards";
      holder.innerHTML = html;
      document.body.appendChild(holder);
      done();
    };
    document.head.appendChild(script);
  }

  function unitCard(link) {
    var unit = unitOf(link);
    var template = unit.id && document.getElementById(unit.id);
    if (!template || !template.content) {
      if (unit.src) {
        loadCards(unit, function () { if (pending === link) { show(link); if (wantPin === link) { pinned = !card.hidden; } } });
      }
      return null;
    }
    return [template.content.cloneNode(true)];
  }

  function buildCard(trigger) {
    if (trigger.matches(UNIT_LINK)) { return unitCard(trigger); }
    if (trigger.matches("span.citation")) { return citationCard(trigger); }
    if (trigger.matches(FOOTNOTE)) { return footnoteCard(trigger); }
    return xrefCard(trigger);
  }

  function describe(trigger) {
    var links = trigger.tagName === "A" ? [trigger] : Array.prototype.slice.call(trigger.querySelectorAll("a"));
    described = links.map(function (a) {
      var before = a.getAttribute("aria-describedby");
      a.setAttribute("aria-describedby", before ? before + " " + CARD_ID : CARD_ID);
      return [a, before];
    });
  }

  function undescribe() {
    described.forEach(function (pair) {
      if (pair[1] === null) { pair[0].removeAttribute("aria-describedby"); }
      else { pair[0].setAttribute("aria-describedby", pair[1]); }
    });
    described = [];
  }

  /* Below the trigger if it fits, else above; always inside the viewport. */
  function position(trigger) {
    var rects = trigger.getClientRects();
    var r = rects.length ? rects[0] : trigger.getBoundingClientRect();
    var viewW = document.documentElement.clientWidth;
    var viewH = window.innerHeight;
    card.style.left = "0px";
    card.style.top = "0px";
    var w = card.offsetWidth;
    var h = card.offsetHeight;
    var left = Math.min(Math.max(MARGIN_PX, r.left + r.width / 2 - w / 2), viewW - w - MARGIN_PX);
    var top = r.bottom + GAP_PX;
    if (top + h > viewH - MARGIN_PX && r.top - GAP_PX - h >= MARGIN_PX) { top = r.top - GAP_PX - h; }
    top = Math.max(MARGIN_PX, Math.min(top, viewH - h - MARGIN_PX));
    card.style.left = Math.max(MARGIN_PX, left) + window.scrollX + "px";
    card.style.top = top + window.scrollY + "px";
  }

  var pending = null;     // the trigger whose card is being asked for (its cards may still load)
  var wantPin = null;     // the unit link clicked while its cards loaded
  function show(trigger) {
    clearTimeout(showTimer);
    clearTimeout(hideTimer);
    if (current === trigger && !card.hidden) { return; }
    pending = trigger;
    var parts = buildCard(trigger);
    if (!parts) { hide(); pending = trigger; return; }
    hide();
    card.replaceChildren.apply(card, parts);
    card.hidden = false;
    current = trigger;
    describe(trigger);
    position(trigger);
    Array.prototype.forEach.call(card.querySelectorAll("img"), function (img) {   // placed again at its
      if (img.complete) { return; }                                               // height once its
      img.loading = "eager";                                                      // pictures are in
      img.addEventListener("load", function () { if (current === trigger) { position(trigger); } }, { once: true });
    });
  }

  function hide() {
    clearTimeout(showTimer);
    clearTimeout(hideTimer);
    pinned = false;
    pending = null;
    wantPin = null;
    if (!card || card.hidden) { current = null; return; }
    card.hidden = true;
    card.replaceChildren();
    undescribe();
    current = null;
  }

  function scheduleShow(trigger) {
    clearTimeout(hideTimer);
    clearTimeout(showTimer);
    showTimer = setTimeout(function () { show(trigger); }, SHOW_DELAY_MS);
  }

  function scheduleHide() {
    if (pinned) { return; }
    clearTimeout(showTimer);
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, HIDE_DELAY_MS);
  }

  function triggerOf(node) {
    return node && node.closest ? node.closest(TRIGGERS) : null;
  }

  function onMouseOver(event) {
    if (card.contains(event.target)) { clearTimeout(hideTimer); return; }
    var trigger = triggerOf(event.target);
    if (trigger && trigger !== dismissed) { scheduleShow(trigger); }
  }

  function onMouseOut(event) {
    var trigger = triggerOf(event.target);
    if (!trigger || trigger.contains(event.relatedTarget)) { return; }
    if (trigger === dismissed) { dismissed = null; }
    if (!card.contains(event.relatedTarget)) {
      if (trigger === current) { scheduleHide(); } else { clearTimeout(showTimer); }
    }
  }

  function onFocusIn(event) {
    var trigger = triggerOf(event.target);
    if (trigger) { dismissed = null; show(trigger); }
  }

  function onClick(event) {
    var trigger = triggerOf(event.target);
    if (trigger && trigger.matches(UNIT_LINK)) {
      if (pinned && current === trigger) { return; }           // the second click opens the page
      event.preventDefault();
      dismissed = null;
      show(trigger);
      pinned = !card.hidden;
      wantPin = card.hidden ? trigger : null;                  // its cards are loading: pin when they come
      return;
    }
    if (pinned && !card.contains(event.target)) { hide(); }
  }

  function onFocusOut(event) {
    if (!current || pinned) { return; }
    var next = event.relatedTarget;
    if (next && (current.contains(next) || card.contains(next))) { return; }
    hide();
  }

  function onKeyDown(event) {
    if (event.key === "Escape" && current) {
      dismissed = current;
      hide();
    }
  }

  function init() {
    card = makeCard();
    document.addEventListener("mouseover", onMouseOver);
    document.addEventListener("mouseout", onMouseOut);
    document.addEventListener("focusin", onFocusIn);
    document.addEventListener("focusout", onFocusOut);
    document.addEventListener("keydown", onKeyDown);
    document.addEventListener("click", onClick);
    window.addEventListener("resize", function () { if (current) { position(current); } });
    var moving = false;      // a focused link scrolled into view after its card was placed: follow it
    window.addEventListener("scroll", function () {
      if (!current || pinned || moving) { return; }
      moving = true;
      requestAnimationFrame(function () { moving = false; if (current && !pinned) { position(current); } });
    }, { passive: true });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
}());
