/* Review mode: the annotation tool of a review copy.

   A reviewer selects words in a numbered paragraph (or presses a figure's "Comment" button)
   and writes a comment. Comments are kept in localStorage under "vellum-review:<slug>", each
   tied to the paragraph's id (made from the paragraph's own words, so it survives edits of
   other paragraphs) or the figure's id, never to a version; when its paragraph is rewritten,
   the one paragraph that still holds its quoted words takes it, as the build does for review
   files (reviews/placing.py). "Export review" downloads a
   Markdown file in the format of articles/<slug>/reviews/*.md (front matter with the scores
   left blank, and the comments as `anchors:`), made in the page with a Blob: it works offline
   and from file://. The page's banner carries the configuration in data-review-config. */
(function () {
  "use strict";

  var banner = document.querySelector(".review-banner[data-review-config]");
  var body = document.querySelector(".d-article");
  if (!banner || !body) return;
  var config = JSON.parse(banner.getAttribute("data-review-config"));
  var storageKey = "vellum-review:" + config.slug;
  var tools = banner.querySelector(".review-tools");
  var counter = banner.querySelector(".review-count");
  var comments = load();
  var pending = null;      // the selection a floating "Comment" button would comment on
  var editing = null;      // the comment the form edits, or a new one

  /* ---- storage ---- */

  function load() {
    try {
      var data = JSON.parse(window.localStorage.getItem(storageKey) || "{}");
      return Array.isArray(data.comments) ? data.comments : [];
    } catch (error) {
      return [];
    }
  }

  function save() {
    try {
      window.localStorage.setItem(storageKey, JSON.stringify({ comments: comments }));
      return true;
    } catch (error) {
      counter.textContent = "Comments could not be saved in this browser";
      return false;
    }
  }

  /* ---- what can be commented on ---- */

  function blockOf(node) {
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    while (element && element.parentElement !== body) element = element.parentElement;
    return element && element.hasAttribute("data-paragraph") && element.id ? element : null;
  }

  function describe(comment) {
    var target = document.getElementById(comment.target);
    if (!target) return comment.target;
    if (comment.kind === "figure") {
      var number = target.querySelector(".figure-number");
      return number ? number.textContent.replace(/:\s*$/, "") : "the figure";
    }
    return "¶ " + target.getAttribute("data-paragraph");
  }

  /* ---- selecting words: a floating button ---- */

  var floating = document.createElement("button");
  floating.type = "button";
  floating.className = "review-comment-button";
  floating.textContent = "Comment";
  floating.hidden = true;
  document.body.appendChild(floating);
  floating.addEventListener("mousedown", function (event) { event.preventDefault(); });
  floating.addEventListener("click", function () {
    if (pending) openForm({ kind: "paragraph", target: pending.block.id, quote: pending.quote });
    hideFloating();
  });

  function hideFloating() {
    floating.hidden = true;
    pending = null;
  }

  function onSelection() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return hideFloating();
    var range = selection.getRangeAt(0);
    var block = blockOf(range.startContainer);
    var quote = selection.toString().replace(/\s+/g, " ").trim();
    if (!block || block !== blockOf(range.endContainer) || !quote) return hideFloating();
    pending = { block: block, quote: quote };
    var rect = range.getBoundingClientRect();
    floating.style.left = Math.max(8, rect.right + window.scrollX - 40) + "px";
    floating.style.top = rect.bottom + window.scrollY + 6 + "px";
    floating.hidden = false;
  }

  document.addEventListener("mouseup", function (event) {
    if (event.target !== floating && !form.contains(event.target)) window.setTimeout(onSelection, 0);
  });
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey && !form.contains(event.target)) onSelection();
  });

  /* ---- figures: a "Comment" button each, at the end of the caption ---- */

  Array.prototype.forEach.call(body.querySelectorAll("figure[id]"), function (figure) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "review-figure-button";
    button.textContent = "Comment";
    button.setAttribute("aria-label", "Comment on this figure");
    button.addEventListener("click", function () {
      openForm({ kind: "figure", target: figure.id, quote: "" });
    });
    var caption = figure.querySelector("figcaption");
    figure.classList.add("review-commentable");
    (caption || figure).appendChild(button);
  });

  /* ---- the comment form ---- */

  var form = document.createElement("form");
  form.className = "review-form";
  form.hidden = true;
  form.setAttribute("aria-label", "Review comment");
  form.innerHTML =
    '<p class="review-form-target"></p>' +
    '<label>Your comment (Markdown)<textarea name="comment" required></textarea></label>' +
    '<div class="review-form-actions"><button type="button" class="review-cancel">Cancel</button>' +
    '<button type="submit" class="review-save">Save comment</button></div>';
  document.body.appendChild(form);
  var textarea = form.querySelector("textarea");

  function openForm(comment) {
    editing = comment;
    var where = describe(comment);
    form.querySelector(".review-form-target").textContent =
      "On " + where + (comment.quote ? ": “" + comment.quote + "”" : "");
    textarea.value = comment.comment || "";
    form.hidden = false;
    textarea.focus();
  }

  function closeForm() {
    form.hidden = true;
    editing = null;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = textarea.value.trim();
    if (!text || !editing) return;
    if (!editing.id) {
      editing.id = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
      editing.created = new Date().toISOString();
      comments.push(editing);
    }
    editing.comment = text;
    save();
    closeForm();
    render();
  });
  form.querySelector(".review-cancel").addEventListener("click", closeForm);
  form.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeForm();
  });

  /* ---- showing the comments ---- */

  function notesAfter(target) {
    var next = target.nextElementSibling;
    if (next && next.matches("aside.review-notes")) return next;
    var aside = document.createElement("aside");
    aside.className = "margin-note review-notes";
    aside.setAttribute("aria-label", "Review comments");
    target.insertAdjacentElement("afterend", aside);
    return aside;
  }

  function noteElement(comment) {
    var note = document.createElement("div");
    note.className = "review-note review-note-draft";
    note.setAttribute("data-comment", comment.id);
    var who = document.createElement("p");
    who.className = "review-note-who";
    who.textContent = "Your comment";
    note.appendChild(who);
    if (comment.quote) {
      var quote = document.createElement("blockquote");
      quote.className = "review-note-quote";
      quote.textContent = comment.quote;
      note.appendChild(quote);
    }
    var text = document.createElement("div");
    text.className = "review-note-text";
    text.style.whiteSpace = "pre-wrap";
    text.textContent = comment.comment;
    note.appendChild(text);
    var actions = document.createElement("div");
    actions.className = "review-note-actions";
    [["Edit", function () { openForm(comment); }],
     ["Delete", function () { remove(comment); }]].forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = pair[0];
      button.addEventListener("click", pair[1]);
      actions.appendChild(button);
    });
    note.appendChild(actions);
    return note;
  }

  function remove(comment) {
    comments = comments.filter(function (c) { return c !== comment; });
    save();
    render();
  }

  function render() {
    Array.prototype.forEach.call(document.querySelectorAll(".review-note-draft"), function (note) {
      var aside = note.parentElement;
      note.remove();
      if (aside.matches("aside.review-notes") && !aside.children.length) aside.remove();
    });
    unhighlight("review-highlight-draft");
    var lost = [], moved = false;
    comments.forEach(function (comment) {       // a rewritten paragraph: found again by its quote
      var target = document.getElementById(comment.target);
      if (comment.kind !== "paragraph" || (target && body.contains(target)) || !comment.quote) return;
      var found = relocated(comment.quote);
      if (found) { comment.target = found.id; moved = true; }
    });
    if (moved) save();
    sorted().forEach(function (comment) {
      var target = document.getElementById(comment.target);
      if (!target || (comment.kind === "paragraph" && !body.contains(target))) {
        lost.push(comment);
        return;
      }
      notesAfter(target).appendChild(noteElement(comment));
      if (comment.quote) highlight(target, comment.quote, "review-highlight-draft");
    });
    renderLost(lost);
    var n = comments.length;
    counter.textContent = n ? n + " comment" + (n === 1 ? "" : "s") + " in this browser" : "No comments yet";
  }

  /* The build's rule (reviews/placing.py): the one paragraph whose words hold the quote's. */
  function words(text) {
    return (text.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}_]+/gu) || []).join(" ");
  }

  function relocated(quote) {
    var wanted = words(quote);
    if (!wanted) return null;
    var matches = Array.prototype.filter.call(body.querySelectorAll("[data-paragraph]"), function (block) {
      return words(block.textContent).indexOf(wanted) >= 0;
    });
    return matches.length === 1 ? matches[0] : null;
  }

  function renderLost(lost) {
    var box = document.querySelector(".review-draft-unanchored");
    if (box) box.remove();
    if (!lost.length) return;
    box = document.createElement("aside");
    box.className = "review-unanchored review-draft-unanchored";
    var title = document.createElement("h2");
    title.textContent = "Your unanchored comments";
    box.appendChild(title);
    lost.forEach(function (comment) { box.appendChild(noteElement(comment)); });
    body.appendChild(box);
  }

  function sorted() {
    return comments.slice().sort(function (a, b) {
      var x = document.getElementById(a.target), y = document.getElementById(b.target);
      if (!x || !y) return x ? -1 : y ? 1 : 0;
      if (x === y) return 0;
      return x.compareDocumentPosition(y) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
  }

  /* ---- highlighting quoted words ---- */

  function highlight(root, quote, className) {
    var wanted = quote.replace(/\s+/g, " ").trim();
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        return node.parentElement.closest("math, mark, script, style")
          ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    var text = "", map = [], space = true;
    while (walker.nextNode()) {
      var node = walker.currentNode;
      for (var i = 0; i < node.data.length; i++) {
        var ch = /\s/.test(node.data[i]) ? " " : node.data[i];
        if (ch === " " && space) continue;
        text += ch;
        map.push([node, i]);
        space = ch === " ";
      }
    }
    var at = text.indexOf(wanted);
    if (at < 0 || !wanted) return;
    var start = map[at], end = map[at + wanted.length - 1];
    var pieces = [], current = start[0];
    var nodes = map.slice(at, at + wanted.length).map(function (m) { return m[0]; });
    nodes.forEach(function (n) { if (pieces.indexOf(n) < 0) pieces.push(n); });
    pieces.forEach(function (n) {
      var from = n === start[0] ? start[1] : 0;
      var to = n === end[0] ? end[1] + 1 : n.data.length;
      current = n.splitText(from);
      current.splitText(to - from);
      var mark = document.createElement("mark");
      mark.className = "review-highlight " + className;
      current.parentNode.insertBefore(mark, current);
      mark.appendChild(current);
    });
  }

  function unhighlight(className) {
    Array.prototype.forEach.call(document.querySelectorAll("mark." + className), function (mark) {
      var parent = mark.parentNode;
      while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
      parent.removeChild(mark);
      parent.normalize();
    });
  }

  /* ---- export ---- */

  function yamlString(value) {
    return JSON.stringify(String(value)).replace(/[\u007f-\u009f\u2028\u2029]/g, function (c) {
      return "\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }

  function reviewMarkdown() {
    var today = new Date().toISOString().slice(0, 10);
    var lines = [
      "---",
      "reviewer: anonymous            # or your name",
      "date: " + today,
      "round: " + (config.round || 1),
      "type: review",
      "version: " + yamlString(config.version),
      "recommendation:                # " + config.recommendations.join(" | "),
      "scores:                        # 1 (poor) to 5 (excellent); leave blank to skip one"
    ];
    config.groups.forEach(function (group) {
      lines.push("  # " + group.name);
      group.criteria.forEach(function (criterion) { lines.push("  " + criterion + ":"); });
    });
    var list = sorted();
    lines.push(list.length ? "anchors:" : "anchors: []");
    list.forEach(function (comment) {
      lines.push("  - " + comment.kind + ": " + comment.target);
      if (comment.quote) lines.push("    quote: " + yamlString(comment.quote));
      lines.push("    comment: " + yamlString(comment.comment));
    });
    lines.push("---", "", "<!-- Your summary: what the article contributes, and what should change. -->", "");
    return lines.join("\n");
  }

  function exportReview() {
    var blob = new Blob([reviewMarkdown()], { type: "text/markdown;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    var stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);   // two reviewers' files never collide
    link.download = "review-" + config.slug + "-" + config.version + "-" + stamp + ".md";
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  banner.querySelector(".review-export").addEventListener("click", exportReview);

  /* ---- start ---- */

  Array.prototype.forEach.call(body.querySelectorAll("aside.review-notes .review-note"), function (note) {
    var quote = note.querySelector(".review-note-quote");
    var target = note.parentElement.previousElementSibling;
    if (quote && target) highlight(target, quote.textContent, "review-highlight-file");
  });
  tools.hidden = false;
  render();
  window.vellumReview = { comments: function () { return comments.slice(); }, markdown: reviewMarkdown };
})();
