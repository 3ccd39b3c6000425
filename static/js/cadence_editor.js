// The cadence editor (templates/cadences/cadence_form.html): the steps list on the left, the
// selected step (or the cadence's settings) in the middle, the selected email's preview on the
// right. Steps are added, removed and reordered in place; what is posted is the same formset
// as without script: a new step is a copy of the empty form, a removed one has DELETE ticked,
// the order is each step's ORDER field.
(function () {
  "use strict";
  var EMAIL = { auto_email: true, manual_email: true };

  function init(form) {
    var prefix = "steps";
    var total = form.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var stepsBox = form.querySelector("[data-steps]");
    var list = form.querySelector("[data-step-list]");
    var removedList = form.querySelector("[data-removed-list]");
    var settings = form.querySelector("[data-settings]");
    var preview = form.querySelector("[data-preview]");
    var previewUrl = form.getAttribute("data-preview-url");
    var text = function (name) {
      var el = form.querySelector("[data-text-" + name + "]");
      return el ? el.textContent : "";
    };
    var selected = null; // a step card, or null for the settings
    var timer = null, sequence = 0;

    form.classList.add("js-editor");

    function field(card, name) {
      return card.querySelector("[name$='-" + name + "']");
    }
    function isRemoved(card) {
      var del = field(card, "DELETE");
      return del && del.checked;
    }
    function cards() {
      return Array.prototype.slice.call(stepsBox.querySelectorAll("[data-step]"));
    }
    function liveCards() {
      return cards().filter(function (c) { return !isRemoved(c); });
    }
    function label(card) {
      var channel = field(card, "channel");
      var name = channel && channel.value ? channel.options[channel.selectedIndex].text : text("untitled");
      var subject = field(card, "subject_template");
      var instructions = field(card, "instructions");
      var what = channel && EMAIL[channel.value] ? subject && subject.value : instructions && instructions.value;
      return what ? name + ": " + what.slice(0, 40) : name;
    }

    // The ORDER fields and numbers follow the cards' order on the page.
    function renumber() {
      liveCards().forEach(function (card, i) {
        field(card, "ORDER").value = String(i + 1);
        var number = card.querySelector("[data-step-number]");
        if (number) number.textContent = String(i + 1);
      });
      cards().filter(isRemoved).forEach(function (card) { field(card, "ORDER").value = ""; });
    }

    function renderList() {
      list.textContent = "";
      removedList.textContent = "";
      var live = liveCards();
      live.forEach(function (card, i) {
        var item = form.querySelector("template[data-step-item]").content.firstElementChild.cloneNode(true);
        var button = item.querySelector("[data-select]");
        button.textContent = (i + 1) + ". " + label(card);
        if (card === selected) { button.setAttribute("aria-current", "true"); item.classList.add("selected"); }
        if (card.querySelector(".field-error, .form-error")) item.classList.add("has-error");
        button.addEventListener("click", function () { select(card); });
        item.querySelector("[data-up]").disabled = i === 0;
        item.querySelector("[data-down]").disabled = i === live.length - 1;
        item.querySelector("[data-remove]").disabled = live.length === 1;
        // Each tool names its step for a screen reader ("Up: 2. Phone call").
        ["[data-up]", "[data-down]", "[data-remove]"].forEach(function (sel) {
          var tool = item.querySelector(sel);
          tool.setAttribute("aria-label", tool.textContent + ": " + button.textContent);
        });
        item.querySelector("[data-up]").addEventListener("click", function () { move(card, -1); });
        item.querySelector("[data-down]").addEventListener("click", function () { move(card, 1); });
        item.querySelector("[data-remove]").addEventListener("click", function () { remove(card); });
        list.appendChild(item);
      });
      cards().filter(isRemoved).forEach(function (card) {
        var item = form.querySelector("template[data-removed-item]").content.firstElementChild.cloneNode(true);
        item.querySelector("[data-label]").textContent = label(card);
        item.querySelector("[data-restore]").addEventListener("click", function () {
          field(card, "DELETE").checked = false;
          renumber(); select(card);
        });
        removedList.appendChild(item);
      });
      var settingsButton = form.querySelector("[data-show-settings]");
      if (selected === null) settingsButton.setAttribute("aria-current", "true");
      else settingsButton.removeAttribute("aria-current");
      if (settings.querySelector(".field-error")) settingsButton.classList.add("has-error");
    }

    function show(card) {
      settings.hidden = card !== null;
      cards().forEach(function (c) { c.hidden = c !== card; });
    }

    function select(card) {
      selected = card;
      show(card);
      renderList();
      schedulePreview(0);
    }

    function move(card, delta) {
      var live = liveCards();
      var i = live.indexOf(card), j = i + delta;
      if (j < 0 || j >= live.length) return;
      if (delta < 0) stepsBox.insertBefore(card, live[j]);
      else stepsBox.insertBefore(card, live[j].nextSibling);
      renumber(); renderList();
    }

    function remove(card) {
      if (liveCards().length === 1) return;
      field(card, "DELETE").checked = true;
      var live = liveCards();
      renumber();
      select(live.length ? live[0] : null);
    }

    function add() {
      var index = parseInt(total.value, 10);
      var html = form.querySelector("template[data-empty-step]").innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__number__/g, String(liveCards().length + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var card = holder.querySelector("[data-step]");
      stepsBox.appendChild(card);
      total.value = String(index + 1);
      renumber();
      select(card);
      var channel = field(card, "channel");
      if (channel) channel.focus();
    }

    // The preview: the selected email step's subject and body, posted a moment after typing
    // stops; an answer that arrives after a newer request was sent is dropped.
    function schedulePreview(delay) {
      clearTimeout(timer);
      timer = setTimeout(refreshPreview, delay);
    }
    function refreshPreview() {
      var card = selected;
      if (card === null) return;
      var channel = field(card, "channel");
      if (!channel || !EMAIL[channel.value]) {
        preview.innerHTML = "";
        var p = document.createElement("p");
        p.className = "muted";
        p.textContent = text("not-email");
        preview.appendChild(p);
        return;
      }
      var body = new URLSearchParams();
      body.set("subject_template", field(card, "subject_template").value);
      body.set("body_template", field(card, "body_template").value);
      var mine = ++sequence;
      fetch(previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
          "HX-Request": "true",
        },
        body: body,
      }).then(function (response) { return response.text(); }).then(function (html) {
        if (mine !== sequence) return;
        // The answer is a template rendered with autoescaping (cadences/_step_preview.html).
        preview.innerHTML = html;
      });
    }

    form.addEventListener("input", function (event) {
      if (selected && selected.contains(event.target)) {
        schedulePreview(300);
        renderList();
      }
    });
    form.addEventListener("change", function (event) {
      if (selected && selected.contains(event.target)) { schedulePreview(0); renderList(); }
    });
    form.querySelector("[data-add-step]").addEventListener("click", add);
    form.querySelector("[data-show-settings]").addEventListener("click", function () { select(null); });

    // The first place with an error; else a saved cadence's first step, a new one's settings.
    renumber();
    var start = null;
    var wrong = form.querySelector("[data-step] .field-error, [data-step] .form-error");
    var wrongCard = wrong ? wrong.closest("[data-step]") : null;
    if (settings.querySelector(".field-error")) start = null;
    else if (wrongCard && !isRemoved(wrongCard)) start = wrongCard;
    else if (form.hasAttribute("data-existing")) start = liveCards()[0] || null;
    select(start);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-cadence-editor]");
    for (var i = 0; i < forms.length; i++) init(forms[i]);
  });
})();
