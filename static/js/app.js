// Insert a snippet (or a placeholder) at the cursor of a textarea:
// <select data-insert-into="ID"> with option values holding the text.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.matches || !select.matches("select[data-insert-into]") || !select.value) return;
  var target = document.getElementById(select.getAttribute("data-insert-into"));
  if (!target) return;
  var text = select.value;
  var start = target.selectionStart || 0, end = target.selectionEnd || 0;
  target.value = target.value.slice(0, start) + text + target.value.slice(end);
  target.focus();
  target.selectionStart = target.selectionEnd = start + text.length;
  target.dispatchEvent(new Event("input", { bubbles: true }));  // e.g. the editor's preview
  select.selectedIndex = 0;
});

// <select data-autosubmit> submits its form when changed (no inline onchange: the
// Content-Security-Policy allows no inline script).
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
    select.form.submit();
  }
});

// Bars: data-width="42" sets the CSS variable --w to 42% (no inline style attributes).
function sdrcrmApplyWidths(root) {
  var bars = (root || document).querySelectorAll("[data-width]");
  for (var i = 0; i < bars.length; i++) {
    var value = parseFloat(bars[i].getAttribute("data-width"));
    if (!isNaN(value)) bars[i].style.setProperty("--w", Math.max(0, Math.min(100, value)) + "%");
  }
}
document.addEventListener("DOMContentLoaded", function () { sdrcrmApplyWidths(document); });
document.addEventListener("htmx:afterSwap", function (event) { sdrcrmApplyWidths(event.target); });

// The main menu folds away on a narrow screen (static/css/work.css): the "Menu" button in the
// top bar opens and closes it. Without this script the button stays hidden and the menu open.
(function () {
  var button = document.querySelector(".topbar .nav-toggle");
  var bar = button && button.closest(".topbar");
  if (!bar) return;
  button.hidden = false;
  bar.classList.add("nav-foldable");
  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    bar.classList.toggle("nav-open", open);
  }
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  bar.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && bar.classList.contains("nav-open")) {
      setOpen(false);
      button.focus();
    }
  });
})();
