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
  select.selectedIndex = 0;
});
