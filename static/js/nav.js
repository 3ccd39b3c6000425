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
