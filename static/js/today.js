// Today from the keyboard (templates/cadences/today.html), and its actions in place.
//
//   j or ↓  next item            k or ↑  previous item
//   d or Enter  done: focus moves to the item's outcome buttons (Escape goes back)
//   s  skip the item's step       o  open the lead
//
// Keys are ignored while typing in a field and with Ctrl, Alt or Meta held. The item forms
// (outcomes, skip, send now, done…) are posted with htmx: the page's #today-page is replaced
// by the same part of the page the POST redirects to, and the focus goes to the item now at
// the place of the one acted on (the next one), never to the top of the page. Without
// JavaScript the forms post and redirect as plain forms.
(function () {
  "use strict";

  var PAGE = "#today-page";
  // While a POST of the page runs: the place of the item acted on (-1: a form outside the
  // queue, such as the proposed reminder), else null.
  var pendingIndex = null;

  function page() { return document.querySelector(PAGE); }
  function items() {
    var root = page();
    return root ? Array.prototype.slice.call(root.querySelectorAll("li.queue-item")) : [];
  }
  function currentItem() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("li.queue-item") : null;
  }
  function focusItem(item) {
    if (!item) return;
    item.focus();
    if (item.scrollIntoView) item.scrollIntoView({ block: "nearest" });
  }
  function isTyping(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  // Items become focusable, the key of each action is announced on its control, the hint bar
  // shows, and the item forms post through htmx.
  function enhance(root) {
    if (!root) return;
    var list = root.querySelectorAll("li.queue-item");
    for (var i = 0; i < list.length; i++) {
      var item = list[i];
      item.setAttribute("tabindex", "-1");
      item.setAttribute("aria-describedby", "today-keys");
      var lead = item.querySelector(".what a[href]");
      if (lead) lead.setAttribute("aria-keyshortcuts", "o");
      var done = item.querySelector(".queue-actions button");
      if (done) done.setAttribute("aria-keyshortcuts", "d Enter");
      var skip = item.querySelector("form[action$='/skip/'] button");
      if (skip) skip.setAttribute("aria-keyshortcuts", "s");
    }
    var forms = root.querySelectorAll("form[method='post']");
    for (var j = 0; j < forms.length; j++) {
      var form = forms[j];
      if (form.hasAttribute("hx-post")) continue;
      form.setAttribute("hx-post", form.getAttribute("action"));
      form.setAttribute("hx-target", PAGE);
      form.setAttribute("hx-select", PAGE);
      form.setAttribute("hx-swap", "outerHTML");
      form.setAttribute("hx-sync", PAGE + ":drop"); // a second click while one runs: dropped
    }
    var hints = document.getElementById("today-keys");
    if (hints) hints.hidden = false;
    if (window.htmx) window.htmx.process(root);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(page()); });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var root = page();
    if (!root || !root.contains(event.target)) return;
    var item = event.target.closest("li.queue-item");
    pendingIndex = item ? items().indexOf(item) : -1;
    // The messages of the page's first load (base.html) make way for those of the answer.
    var old = document.querySelectorAll("main [role='status']");
    for (var i = 0; i < old.length; i++) if (!root.contains(old[i])) old[i].remove();
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (pendingIndex === null) return;
    var root = page();
    if (!root) return;
    enhance(root);
    var list = items();
    if (list.length) {
      focusItem(list[Math.min(Math.max(pendingIndex, 0), list.length - 1)]);
    } else {
      var heading = document.getElementById("queue-h");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    }
    pendingIndex = null;
  });

  // A refused request (the item is gone or no longer the user's): the page as it is now.
  document.addEventListener("htmx:responseError", function () {
    if (pendingIndex === null) return;
    pendingIndex = null;
    window.location.reload();
  });

  document.addEventListener("keydown", function (event) {
    if (!page() || event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    if (isTyping(event.target)) return;
    var list = items();
    if (!list.length) return;
    var item = currentItem();
    var onItem = item && document.activeElement === item;
    var index = item ? list.indexOf(item) : -1;
    var key = event.key;

    if (key === "Escape" && item && !onItem) {
      focusItem(item);
    } else if (key === "j" || (key === "ArrowDown" && item)) {
      focusItem(list[Math.min(index + 1, list.length - 1)]);
    } else if (key === "k" || (key === "ArrowUp" && item)) {
      focusItem(list[Math.max(index - 1, 0)]);
    } else if ((key === "d" && item) || (key === "Enter" && onItem)) {
      var first = item.querySelector(".queue-actions button");
      if (first) first.focus();
    } else if (key === "s" && item) {
      var skip = item.querySelector("[aria-keyshortcuts='s']");
      if (skip) skip.click();
      else return;
    } else if (key === "o" && item) {
      var lead = item.querySelector("[aria-keyshortcuts='o']");
      if (lead) window.location.assign(lead.href);
      else return;
    } else {
      return;
    }
    event.preventDefault();
  });
})();
