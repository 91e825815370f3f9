/* Kelisim forms, where JavaScript runs (everything works without it):
   - a live character count under each field with a length limit (the server refuses too long a text
     and says by how much; nothing is cut);
   - "Add another change" adds an empty row in place (without JavaScript the server returns the form
     with one more row);
   - "Remove" takes a file received with a refused form off the form in place;
   - a field that belongs to one choice only ("ui:showWhen") shows while that choice is made, and is left out of
     the submission otherwise. */
(function () {
  "use strict";
  // numbers as the server writes them in the page's language (a browser may lack Kazakh number data):
  // the group separator of the server's own "1 000" (data-number-sample)
  var sample = document.querySelector("[data-number-sample]");
  var group = sample ? sample.getAttribute("data-number-sample").replace(/[0-9]/g, "") : ",";
  var fmt = { format: function (n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, group); } };

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : all;
    });
  }

  function wireCounter(note) {
    var field = document.getElementById(note.getAttribute("data-limit-for"));
    if (!field || field.getAttribute("data-counter-wired")) { return; }
    field.setAttribute("data-counter-wired", "1");
    var limit = parseInt(note.getAttribute("data-limit"), 10);
    function update() {
      var count = field.value.length;
      var over = count - limit;
      note.textContent = over > 0
        ? fill(note.getAttribute("data-over-text"), { count: fmt.format(count), over: fmt.format(over) })
        : fill(note.getAttribute("data-count-text"), { count: fmt.format(count) });
      note.classList.toggle("char-limit-over", over > 0);
    }
    field.addEventListener("input", update);
    update();
  }

  function renumber(row, list, from, to) {
    var names = [[list + "." + from + ".", list + "." + to + "."],
                 ["field-" + list + "-" + from + "-", "field-" + list + "-" + to + "-"]];
    row.querySelectorAll("[name], [id], [for], [aria-describedby], [data-limit-for]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby", "data-limit-for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value === null) { return; }
        names.forEach(function (pair) { value = value.split(pair[0]).join(pair[1]); });
        el.setAttribute(attr, value);
      });
    });
  }

  function addRow(button) {
    var list = button.getAttribute("data-add-row");
    var group = button.closest("[data-rows]");
    var rows = group.querySelectorAll("[data-row]");
    var last = rows[rows.length - 1];
    var index = rows.length;
    var row = last.cloneNode(true);
    renumber(row, list, index - 1, index);
    row.classList.remove("check-item-has-error");
    row.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    row.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { el.checked = false; }  // keeps its value
      else if (el.tagName === "SELECT") { el.selectedIndex = 0; }
      else { el.value = ""; }
      el.removeAttribute("aria-invalid");
      el.removeAttribute("data-counter-wired");
      var described = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && !/-error$/.test(id);
      });
      if (described.length) { el.setAttribute("aria-describedby", described.join(" ")); }
      else { el.removeAttribute("aria-describedby"); }
    });
    var title = row.querySelector("[data-row-title]");
    if (title) { title.textContent = fill(title.getAttribute("data-row-title"), { n: fmt.format(index + 1) }); }
    last.parentNode.insertBefore(row, last.nextSibling);
    var slots = group.querySelector("[data-slots]");
    if (slots) { slots.value = String(index + 1); }
    row.querySelectorAll("[data-limit-for]").forEach(wireCounter);
    var first = row.querySelector("input, textarea, select");
    if (first) { first.focus(); }
  }

  function removeReceived(button) {
    var item = button.closest("li");
    var box = button.closest(".received-files");
    var input = box && box.parentNode.querySelector("input[type=file]");
    item.remove();
    if (box && !box.querySelector("li")) { box.remove(); }
    if (input) { input.focus(); }
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) { event.preventDefault(); addRow(add); return; }
    var remove = event.target.closest("[data-remove-received]");
    if (remove) { event.preventDefault(); removeReceived(remove); }
  });

  // On a phone a sub-menu is one scrolling line: bring its current item into view (the line only, never the page).
  function showCurrentTab(nav) {
    var current = nav.querySelector("a[aria-current=page]");
    if (current && nav.scrollWidth > nav.clientWidth) {
      nav.scrollLeft = Math.max(0, current.offsetLeft - nav.offsetLeft - 16);
    }
  }

  function chosenValue(form, name) {
    var checked = form.querySelector("[name='" + name + "']:checked");
    if (checked) { return checked.value; }
    var select = form.querySelector("select[name='" + name + "']");
    return select ? select.value : "";
  }

  function applyShowWhen(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (box) {
      var wanted = box.getAttribute("data-show-is").split(" ");
      var show = wanted.indexOf(chosenValue(form, box.getAttribute("data-show-when"))) >= 0;
      box.hidden = !show;
      box.querySelectorAll("input, textarea, select, button").forEach(function (el) { el.disabled = !show; });
    });
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.querySelector("[data-show-when='" + event.target.name + "']")) { applyShowWhen(form); }
  });

  function start() {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-show-when]")) { applyShowWhen(form); }
    });
    document.querySelectorAll("[data-limit-for]").forEach(wireCounter);
    document.querySelectorAll("nav.subnav").forEach(showCurrentTab);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
}());
